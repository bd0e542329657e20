"""A stand-in for Kingdee K3Cloud WebAPI: session login, ExecuteBillQuery and Save.

Seeded with documents in K3Cloud's own shape: header fields under their FieldKeys,
reference fields as ``{"Id": .., "FNumber": .., "FName": ..}``, entry lines in a list
under the entity key (``FT_BD_CUSTCONTACT`` on customers, ``FSaleOrderEntry`` on orders).
Queries answer rows as arrays in FieldKeys order, one row per entry line.

Faults: ``token_expired`` loses the session ("会话信息已丢失，请重新登录" in HTTP 200),
``duplicate_page`` answers the previous query page again, ``throttle`` answers 503
(K3Cloud documents no throttle signal; a loaded IIS answers 503).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from connectors.fakes._server import FakeServer, Request, Response

__all__ = ["FakeKingdee", "records_from_demo"]

LOST = "会话信息已丢失，请重新登录"
_ENTITY = {"BD_Customer": "FT_BD_CUSTCONTACT", "SAL_SaleOrder": "FSaleOrderEntry"}
_ID = {"BD_Customer": "FCUSTID", "SAL_SaleOrder": "FId"}
_HEADER = {
    "BD_Customer": {
        "FCUSTID",
        "FNumber",
        "FName",
        "FShortName",
        "FTEL",
        "FFAX",
        "FADDRESS",
        "FZIP",
        "FPROVINCIAL",
        "FSOCIALCRECODE",
        "FSELLER",
        "FCreateDate",
        "FModifyDate",
        "FDocumentStatus",
        "FForbidStatus",
        "FCreateOrgId",
        "FUseOrgId",
        "FDescription",
    },
    "SAL_SaleOrder": {
        "FId",
        "FBillNo",
        "FDate",
        "FCustId",
        "FSaleOrgId",
        "FSalerId",
        "FDocumentStatus",
        "FCancelStatus",
        "FCreateDate",
        "FModifyDate",
        "FNote",
    },
}
_LINE = {
    "BD_Customer": {"FCONTACT", "FMOBILE", "FEMAIL"},
    "SAL_SaleOrder": {"FEntryID", "FMaterialId", "FQty", "FPrice", "FAllAmount"},
}


def _status(ok: bool, errors: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "ErrorCode": 0 if ok else 500,
        "IsSuccess": ok,
        "Errors": errors or [],
        "SuccessEntitys": extra.pop("entities", []),
        "SuccessMessages": [],
        "MsgCode": 0 if ok else extra.pop("msg_code", 11),
        **extra,
    }


def _error(message: str, *, field: str | None = None, msg_code: int = 11) -> dict[str, Any]:
    return {
        "Result": {
            "ResponseStatus": _status(
                False, [{"FieldName": field, "Message": message, "DIndex": 0}], msg_code=msg_code
            )
        }
    }


# ---------------------------------------------------------------- FilterString subset

_TOKEN = re.compile(
    r"\s*(?:(\()|(\))|('(?:[^']|'')*')|(>=|<=|<>|!=|=|>|<)|"
    r"(-?\d+(?:\.\d+)?)(?![\w.])|([A-Za-z_][\w.]*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"FilterString 语法错误: {text[pos : pos + 20]!r}")
        kinds = ("(", ")", "str", "op", "num", "name")
        kind = kinds[m.lastindex - 1]  # type: ignore[operator]
        value = m.group(m.lastindex)  # type: ignore[arg-type]
        if kind == "str":
            value = value[1:-1].replace("''", "'")
        elif kind == "name" and value.upper() in ("AND", "OR"):
            kind, value = value.upper(), value.upper()
        out.append((kind, value))
        pos = m.end()
    return out


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is None:
        return False
    a, b = left, right
    if isinstance(right, float):
        try:
            a = float(left)
        except (TypeError, ValueError):
            return False
    else:
        try:  # quoted datetimes compare as times, whatever their spelling
            a = datetime.fromisoformat(str(left).replace(" ", "T"))
            b = datetime.fromisoformat(str(right).replace(" ", "T"))
        except ValueError:
            a, b = str(left), str(right)
    return {
        "=": a == b,
        ">": a > b,
        ">=": a >= b,
        "<": a < b,
        "<=": a <= b,
        "<>": a != b,
        "!=": a != b,
    }[op]


class _Filter:
    """expr := term (OR term)* ; term := factor (AND factor)* ; factor := (expr) | name op value"""

    def __init__(self, text: str) -> None:
        self.toks = _tokens(text) if text and text.strip() else []
        self.i = 0
        self.tree = self._expr() if self.toks else None
        if self.i != len(self.toks):
            raise ValueError("FilterString 语法错误")

    def _peek(self) -> str | None:
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def _take(self, kind: str) -> str:
        if self._peek() != kind:
            raise ValueError(f"FilterString 语法错误: expected {kind}")
        self.i += 1
        return self.toks[self.i - 1][1]

    def _expr(self) -> Any:
        node = self._term()
        while self._peek() == "OR":
            self.i += 1
            node = ("OR", node, self._term())
        return node

    def _term(self) -> Any:
        node = self._factor()
        while self._peek() == "AND":
            self.i += 1
            node = ("AND", node, self._factor())
        return node

    def _factor(self) -> Any:
        if self._peek() == "(":
            self.i += 1
            node = self._expr()
            self._take(")")
            return node
        name = self._take("name")
        op = self._take("op")
        kind = self._peek()
        raw = self._take(kind if kind in ("str", "num") else "str")
        return ("CMP", name, op, float(raw) if kind == "num" else raw)

    def equalities(self) -> tuple[str, set[Any]] | None:
        """(name, values) when the filter is ``name = v1 OR name = v2 ...``, else None."""
        values: set[Any] = set()
        names: set[str] = set()
        stack = [self.tree]
        while stack:
            node = stack.pop()
            if node is None:
                return None
            if node[0] == "OR":
                stack.extend((node[1], node[2]))
            elif node[0] == "CMP" and node[2] == "=":
                names.add(node[1])
                value = node[3]
                values.add(int(value) if isinstance(value, float) and value.is_integer() else value)
            else:
                return None
        return (names.pop(), values) if len(names) == 1 else None

    def match(self, value_of: Any) -> bool:
        def ev(node: Any) -> bool:
            if node[0] == "CMP":
                return _compare(value_of(node[1]), node[2], node[3])
            if node[0] == "AND":
                return ev(node[1]) and ev(node[2])
            return ev(node[1]) or ev(node[2])

        return True if self.tree is None else ev(self.tree)


class FakeKingdee(FakeServer):
    """K3Cloud on loopback. Point the client at ``server.url + "/K3Cloud/"``."""

    def __init__(
        self,
        seed: dict[str, list[dict[str, Any]]] | None = None,
        *,
        acct_id: str = "CHUB01",
        username: str = "api",
        password: str = "kd-secret",
        app_id: str | None = None,
        app_secret: str | None = None,
        session_ttl: float | None = None,
        golden_field: str = "F_CHUB_GoldenId",
    ) -> None:
        super().__init__()
        self.acct_id, self.username, self.password = acct_id, username, password
        self.app_id, self.app_secret = app_id, app_secret
        self.session_ttl = session_ttl  # seconds a session lives (None: forever)
        self.golden_field = golden_field
        self.customers: dict[int, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.sessions: dict[str, float] = {}
        self.logins = 0
        self.saves: list[dict[str, Any]] = []
        self.batch_saves = 0
        #: FNumber -> how many times a customer with it was created (a retry must not)
        self.creations: dict[str, int] = {}
        self._number_index: dict[str, int] = {}
        #: knob: this many Saves are applied but answered with HTTP 500 (lost answers)
        self.lose_save_answers = 0
        #: the server-local clock stamped on writes; each write advances it one second
        self.clock = datetime(2026, 11, 1, 9, 0, 0)
        self._last_page: list[list[Any]] | None = None
        if seed:
            self.load(seed)

    # ------------------------------------------------------------------ data
    def load(self, seed: dict[str, list[dict[str, Any]]]) -> None:
        for doc in seed.get("customers", []):
            self.customers[int(doc["FCUSTID"])] = json.loads(json.dumps(doc))
        for doc in seed.get("orders", []):
            self.orders[int(doc["FId"])] = json.loads(json.dumps(doc))

    def _numbers(self) -> dict[str, int]:
        """FNumber -> FCUSTID, rebuilt when customers were added behind the index's back."""
        if len(self._number_index) != len(self.customers):
            self._number_index = {
                str(c.get("FNumber")): i for i, c in self.customers.items() if c.get("FNumber")
            }
        return self._number_index

    def tick(self) -> str:
        self.clock += timedelta(seconds=1)
        return self.clock.isoformat()

    def expire_sessions(self) -> None:
        self.sessions.clear()

    def _table(self, form_id: str) -> dict[int, dict[str, Any]] | None:
        return {"BD_Customer": self.customers, "SAL_SaleOrder": self.orders}.get(form_id)

    # ------------------------------------------------------------------ HTTP
    def handle(self, request: Request) -> Response:
        service = request.path.rsplit("/", 1)[-1].removesuffix(".common.kdsvc")
        op = service.rsplit(".", 1)[-1]
        if request.fault == "throttle":
            return Response(503, b"<html>Service Unavailable</html>", {"Content-Type": "text/html"})
        body = request.json() or {}
        if op in ("ValidateUser", "LoginByAppSecret"):
            return self._login(op, body)
        if not self._session_ok(request) or request.fault == "token_expired":
            self.expire_sessions()
            lost = _error(LOST, msg_code=1)
            return Response.json([[lost]] if op == "ExecuteBillQuery" else lost)
        if op == "ExecuteBillQuery":
            return Response.json(
                self._query(self._args(body), duplicate=request.fault == "duplicate_page")
            )
        if op == "Save":
            form_id = body.get("formid") or (body.get("parameters") or [None])[0]
            answer = self._save(str(form_id), self._args(body, 1))
            if self.lose_save_answers > 0 and answer["Result"]["ResponseStatus"]["IsSuccess"]:
                self.lose_save_answers -= 1
                return Response(500, b"<html>answer lost</html>", {"Content-Type": "text/html"})
            return Response.json(answer)
        if op == "BatchSave":
            form_id = body.get("formid") or (body.get("parameters") or [None])[0]
            answer = self._batch_save(str(form_id), self._args(body, 1))
            if self.lose_save_answers > 0 and answer["Result"]["ResponseStatus"]["SuccessEntitys"]:
                self.lose_save_answers -= 1
                return Response(500, b"<html>answer lost</html>", {"Content-Type": "text/html"})
            return Response.json(answer)
        return Response(404, b"<html>unknown service</html>", {"Content-Type": "text/html"})

    @staticmethod
    def _args(body: dict[str, Any], index: int = 0) -> dict[str, Any]:
        # SDK shape {"data": {...}}; the legacy envelope carries a JSON string in parameters
        data = body.get("data")
        if data is None and body.get("parameters"):
            data = body["parameters"][index]
        return json.loads(data) if isinstance(data, str) else dict(data or {})

    def _login(self, op: str, body: dict[str, Any]) -> Response:
        params = list(body.get("parameters") or [])
        if op == "ValidateUser":
            ok = params[:3] == [self.acct_id, self.username, self.password]
        else:
            ok = bool(self.app_id) and params[:4] == [
                self.acct_id,
                self.username,
                self.app_id,
                self.app_secret,
            ]
        if not ok:
            return Response.json(
                {
                    "LoginResultType": 0,
                    "Message": "用户名或密码错误！",
                    "MessageCode": "CheckPasswordPolicy",
                    "IsSuccessByAPI": False,
                }
            )
        sid = secrets.token_hex(12)
        self.sessions[sid] = time.monotonic()
        self.logins += 1
        answer = Response.json(
            {
                "LoginResultType": 1,
                "Message": None,
                "KDSVCSessionId": sid,
                "Context": {"UserName": self.username, "DBid": self.acct_id},
                "IsSuccessByAPI": True,
            }
        )
        answer.headers["Set-Cookie"] = f"kdservice-sessionid={sid}; Path=/; HttpOnly"
        return answer

    def _session_ok(self, request: Request) -> bool:
        cookie = request.headers.get("Cookie") or request.headers.get("cookie") or ""
        m = re.search(r"kdservice-sessionid=(\w+)", cookie)
        started = self.sessions.get(m.group(1)) if m else None
        if started is None:
            return False
        return self.session_ttl is None or time.monotonic() - started < self.session_ttl

    # ------------------------------------------------------------------ ExecuteBillQuery
    def _query(self, q: dict[str, Any], *, duplicate: bool) -> Any:
        if duplicate and self._last_page is not None:
            return self._last_page
        form_id = str(q.get("FormId", ""))
        table = self._table(form_id)
        if table is None:
            return [[_error(f"业务对象 {form_id} 不存在")]]
        keys = [k.strip() for k in str(q.get("FieldKeys", "")).split(",") if k.strip()]
        entity = _ENTITY[form_id]
        for key in keys:
            if not self._known(form_id, key):
                return [[_error(f"字段 {key} 不存在", field=key)]]
        try:
            flt = _Filter(str(q.get("FilterString") or ""))
        except ValueError as exc:
            return [[_error(str(exc))]]
        wants_lines = any(self._is_line(form_id, k) for k in keys) or any(
            self._is_line(form_id, tok[1]) for tok in flt.toks if tok[0] == "name"
        )
        rows: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
        docs: Any = table.values()
        keyed = flt.equalities()
        if keyed is not None and not wants_lines and form_id == "BD_Customer":
            # a lookup by ids or numbers (the sink's batch lookups): answer from an index,
            # as the database's own index would, instead of evaluating the filter per row
            name, wanted = keyed
            if name == "FCUSTID":
                docs = [table[int(v)] for v in wanted if int(v) in table]
            elif name == "FNumber":
                numbers = self._numbers()
                docs = [table[numbers[str(v)]] for v in wanted if str(v) in numbers]
        for doc in docs:
            lines: list[dict[str, Any] | None] = list(doc.get(entity) or []) if wants_lines else []
            for line in lines or [None]:
                if flt.match(partial(self._value, form_id, doc, line)):
                    rows.append((doc, line))
        for key, desc in reversed(self._order(str(q.get("OrderString") or ""))):
            rows.sort(key=partial(self._row_sort_key, form_id, key), reverse=desc)
        start, limit = int(q.get("StartRow") or 0), int(q.get("Limit") or 0)
        top = int(q.get("TopRowCount") or 0)
        if top:
            rows = rows[:top]
        rows = rows[start : start + limit] if limit else rows[start:]
        page = [[self._value(form_id, d, ln, k) for k in keys] for d, ln in rows]
        self._last_page = page
        return page

    def _row_sort_key(
        self, form_id: str, key: str, row: tuple[dict[str, Any], dict[str, Any] | None]
    ) -> tuple[int, Any]:
        return _sort_key(self._value(form_id, row[0], row[1], key))

    @staticmethod
    def _order(text: str) -> list[tuple[str, bool]]:
        out = []
        for part in text.split(","):
            bits = part.split()
            if bits:
                out.append((bits[0], len(bits) > 1 and bits[1].upper() == "DESC"))
        return out

    def _is_line(self, form_id: str, key: str) -> bool:
        head = key.split(".")[0]
        return head.startswith(_ENTITY[form_id] + "_") or head in _LINE[form_id]

    def _known(self, form_id: str, key: str) -> bool:
        head = key.split(".")[0].removeprefix(_ENTITY[form_id] + "_")
        return head in _HEADER[form_id] or head in _LINE[form_id] or head == self.golden_field

    def _value(
        self, form_id: str, doc: dict[str, Any], line: dict[str, Any] | None, key: str
    ) -> Any:
        head, _, sub = key.partition(".")
        prefix = _ENTITY[form_id] + "_"
        if head.startswith(prefix) or head in _LINE[form_id]:
            base = (line or {}).get(head.removeprefix(prefix))
        else:
            base = doc.get(head)
        if isinstance(base, dict):
            return base.get(sub) if sub else base.get("Id", 0)
        return None if sub else base

    # ------------------------------------------------------------------ Save
    def _batch_save(self, form_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """BatchSave: each model of ``Model`` saved on its own, as Save would; successes
        and errors are reported by the model's index (``DIndex``)."""
        models = data.get("Model")
        if not isinstance(models, list):
            return _error("Model 必须是数组")
        self.batch_saves += 1
        entities: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for index, model in enumerate(models):
            one = self._save(form_id, {**data, "Model": model}, record=False)
            status = one["Result"]["ResponseStatus"]
            if status["IsSuccess"]:
                entities.extend({**e, "DIndex": index} for e in status["SuccessEntitys"])
            else:
                errors.extend({**e, "DIndex": index} for e in status["Errors"])
        self.saves.append({"formid": form_id, "data": data, "batch": len(models)})
        return {
            "Result": {
                "ResponseStatus": {
                    **_status(not errors, errors, entities=entities),
                },
            }
        }

    def _save(self, form_id: str, data: dict[str, Any], *, record: bool = True) -> dict[str, Any]:
        if record:
            self.saves.append({"formid": form_id, "data": data})
        if form_id != "BD_Customer":
            return _error(f"业务对象 {form_id} 不支持保存")
        model = dict(data.get("Model") or {})
        cust_id = int(model.get("FCUSTID") or 0)
        if cust_id == 0:
            if not model.get("FName"):
                return _error("字段“客户名称”是必填项", field="FName")
            number = model.get("FNumber") or f"CUST{len(self.customers) + 1:05d}"
            if number in self._numbers():
                return _error(f"编码“{number}”已经被使用，违反了唯一性要求", field="FNumber")
            cust_id = max([100000, *self.customers]) + 1
            now = self.tick()
            model.update(
                {
                    "FCUSTID": cust_id,
                    "FNumber": number,
                    "FCreateDate": now,
                    "FModifyDate": now,
                    "FDocumentStatus": "A",
                    "FForbidStatus": "A",
                }
            )
            self.customers[cust_id] = model
            self.creations[number] = self.creations.get(number, 0) + 1
            self._number_index[number] = cust_id
        else:
            doc = self.customers.get(cust_id)
            if doc is None:
                return _error(f"内码为{cust_id}的数据不存在或已被删除", field="FCUSTID")
            fields = data.get("NeedUpDateFields") or [k for k in model if k != "FCUSTID"]
            for key in fields:
                if key in model:
                    doc[key] = model[key]
            doc["FModifyDate"] = self.tick()
        doc = self.customers[cust_id]
        entity = {"Id": cust_id, "Number": doc.get("FNumber"), "DIndex": 0}
        return {
            "Result": {
                "ResponseStatus": _status(True, entities=[entity]),
                "Id": cust_id,
                "Number": doc.get("FNumber"),
                "NeedReturnData": [{"FNumber": doc.get("FNumber"), "FName": doc.get("FName")}],
            }
        }


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)  # NULLs first, as SQL Server sorts them
    if isinstance(value, int | float):
        return (1, value)
    try:
        return (2, datetime.fromisoformat(str(value).replace(" ", "T")))
    except ValueError:
        return (3, str(value))


# ---------------------------------------------------------------- demo seed


def _local(value: str | None, tz: str = "Asia/Shanghai") -> str | None:
    """An ISO time with offset -> K3Cloud server-local time without zone."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return moment.isoformat()


def records_from_demo(people: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Neutral demo people with orders -> K3Cloud customers and sales orders."""
    customers: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    line_id = 300000
    for person in people:
        if "orders" not in person:  # only ERP customers carry an orders list
            continue
        cust_id = 100001 + len(customers)
        number = f"CUST{len(customers) + 1:05d}"
        name = person.get("company_name") or person.get("name") or ""
        address = "".join(person.get(k) or "" for k in ("city", "district", "address"))
        created = _local(person.get("created_at")) or "2026-01-01T09:00:00"
        modified = _local(person.get("updated_at")) or created
        doc: dict[str, Any] = {
            "FCUSTID": cust_id,
            "FNumber": number,
            "FName": name,
            "FShortName": name[:8],
            "FTEL": (person.get("phones") or [None])[0],
            "FADDRESS": address or None,
            "FSOCIALCRECODE": person.get("uscc"),
            "FCreateDate": created,
            "FModifyDate": modified,
            "FDocumentStatus": "C",
            "FForbidStatus": "A",
            "FCreateOrgId": {"Id": 1, "FNumber": "100", "FName": "总部"},
            "FUseOrgId": {"Id": 1, "FNumber": "100", "FName": "总部"},
        }
        if person.get("province"):
            doc["FPROVINCIAL"] = {"Id": 0, "FNumber": "", "FDataValue": person["province"]}
        if person.get("owner"):
            doc["FSELLER"] = {"Id": 0, "FNumber": person["owner"], "FName": person["owner"]}
        contact = {
            "FCONTACT": person.get("name"),
            "FMOBILE": person.get("mobile"),
            "FEMAIL": person.get("email"),
        }
        doc["FT_BD_CUSTCONTACT"] = [contact] if any(contact.values()) else []
        customers.append(doc)
        for order in person["orders"]:
            order_id = 200001 + len(orders)
            line_id += 1
            day = str(order.get("date") or created[:10])[:10]
            orders.append(
                {
                    "FId": order_id,
                    "FBillNo": order.get("no") or f"XSDD{order_id}",
                    "FDate": f"{day}T00:00:00",
                    "FCustId": {"Id": cust_id, "FNumber": number, "FName": name},
                    "FSalerId": doc.get("FSELLER"),
                    "FDocumentStatus": "C",
                    "FCreateDate": f"{day}T10:00:00",
                    "FModifyDate": f"{day}T10:00:00",
                    "FSaleOrderEntry": [
                        {
                            "FEntryID": line_id,
                            "FQty": 1,
                            "FMaterialId": {"Id": 1, "FNumber": "P0001"},
                            "FPrice": order.get("amount"),
                            "FAllAmount": order.get("amount"),
                        }
                    ],
                }
            )
    return {"customers": customers, "orders": orders}

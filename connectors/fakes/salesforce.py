"""Stand-in for Salesforce: OAuth2 token endpoint and Account upserts by external id.

Faithful bits: ``POST /services/oauth2/token`` (client-credentials); bearer auth with
401 ``INVALID_SESSION_ID``; sObject Collections upsert
``PATCH /services/data/vXX.X/composite/sobjects/Account/<ExtId>`` (``allOrNone``, at most
200 records else 400 ``EXCEEDED_ID_LIMIT``, HTTP 200 with per-item results in input order,
400 for a malformed request, 404 for an unknown external id field); the single upsert
``PATCH .../sobjects/Account/<ExtId>/<value>`` (201 created / 204 updated / 300 several
matches). Per-item validation: ``Name`` required on create (``REQUIRED_FIELD_MISSING``),
duplicate external ids in one request (``DUPLICATE_EXTERNAL_ID``), several existing matches.

Test knobs: ``fail_ids`` (external id -> error code) makes chosen records fail;
``lose_answers`` processes that many upserts and then answers 500 as if the answer was lost;
``duplicates`` seeds external ids with two matching Accounts. Faults: ``throttle`` -> 403
``REQUEST_LIMIT_EXCEEDED``, ``token_expired`` -> 401 ``INVALID_SESSION_ID`` and the
presented (issued) token is revoked, so a client must fetch a new one.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any
from urllib.parse import parse_qs

from connectors.fakes._server import FakeServer, Request, Response

__all__ = ["FakeSalesforce", "records_from_demo"]

_COMPOSITE = re.compile(r"^/services/data/v\d+\.\d+/composite/sobjects/(\w+)/(\w+)$")
_COLLECTION = re.compile(r"^/services/data/v\d+\.\d+/composite/sobjects$")
_SINGLE = re.compile(r"^/services/data/v\d+\.\d+/sobjects/(\w+)/(\w+)/([^/]+)$")
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
MAX_RECORDS = 200


def _errors(status: int, code: str, message: str, fields: list[str] | None = None) -> Response:
    return Response.json(
        [{"message": message, "errorCode": code, "fields": fields or []}], status=status
    )


class FakeSalesforce(FakeServer):
    def __init__(
        self,
        seed: dict[str, list[dict[str, Any]]] | None = None,
        *,
        client_id: str = "chub-client",
        client_secret: str = "chub-secret",
        static_token: str | None = None,
        sobject: str = "Account",
        external_id_fields: tuple[str, ...] = ("Chub_Golden_Id__c",),
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.static_token = static_token
        self.sobject = sobject
        self.external_id_fields = set(external_id_fields)
        #: external id -> the Account as stored (``Id`` plus its fields)
        self.records: dict[str, dict[str, Any]] = {}
        #: Accounts deleted through the API, by external id (the recycle bin)
        self.deleted: dict[str, dict[str, Any]] = {}
        #: every Account ever created, by external id: a retry that creates twice shows here
        self.creations: dict[str, int] = {}
        self.fail_ids: dict[str, str] = {}
        self.duplicates: set[str] = set()
        self.lose_answers = 0
        self.tokens_issued = 0
        self._tokens: set[str] = set()
        self._ids = itertools.count(1)
        ext_field = sorted(self.external_id_fields)[0]
        for account in (seed or {}).get("accounts", []):
            key = str(account[ext_field])
            self.records[key] = {"Id": f"001FAKE{next(self._ids):011d}", **account}

    def settings(self) -> dict[str, Any]:
        return {
            "instance_url": self.url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    # ------------------------------------------------------------------ HTTP
    def handle(self, request: Request) -> Response:
        if request.path == "/services/oauth2/token" and request.method == "POST":
            return self._token(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        valid = token in self._tokens or (
            self.static_token is not None and token == self.static_token
        )
        if request.fault == "token_expired" or not valid:
            self._tokens.discard(token)
            return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if request.fault == "throttle":
            return _errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        if request.method == "DELETE" and _COLLECTION.match(request.path):
            response = self._delete(request)
        elif request.method == "PATCH" and (m := _COMPOSITE.match(request.path)):
            response = self._composite(request, m.group(1), m.group(2))
        elif request.method == "PATCH" and (m := _SINGLE.match(request.path)):
            response = self._single(request, m.group(1), m.group(2), m.group(3))
        else:
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        if self.lose_answers > 0 and response.status < 300:
            self.lose_answers -= 1
            return Response(
                500, b"<html>upstream connect error</html>", {"Content-Type": "text/html"}
            )
        return response

    def _delete(self, request: Request) -> Response:
        """sObject Collections delete: ``?ids=001..,001..&allOrNone=false``, one result per
        id in order; an id that is not (or no longer) there fails ENTITY_IS_DELETED."""
        ids = [i for i in (request.query.get("ids") or "").split(",") if i]
        if not ids:
            return _errors(400, "MISSING_ARGUMENT", "ids is required")
        if len(ids) > MAX_RECORDS:
            return _errors(400, "EXCEEDED_ID_LIMIT", f"at most {MAX_RECORDS} ids")
        by_id = {rec["Id"]: key for key, rec in self.records.items()}
        results = []
        for account_id in ids:
            key = by_id.get(account_id)
            if key is None:
                results.append(
                    {
                        "id": account_id,
                        "success": False,
                        "errors": [
                            {
                                "statusCode": "ENTITY_IS_DELETED",
                                "message": "entity is deleted",
                                "fields": [],
                            }
                        ],
                    }
                )
                continue
            self.deleted[key] = self.records.pop(key)
            results.append({"id": account_id, "success": True, "errors": []})
        return Response.json(results)

    def _token(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return Response.json(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant type not supported",
                },
                status=400,
            )
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return Response.json(
                {"error": "invalid_client", "error_description": "invalid client credentials"},
                status=400,
            )
        self.tokens_issued += 1
        token = f"00DFAKE!token{self.tokens_issued}"
        self._tokens.add(token)
        return Response.json(
            {
                "access_token": token,
                "instance_url": self.url,
                "token_type": "Bearer",
                "issued_at": "1700000000000",
                "signature": "fake",
            }
        )

    def _check_target(self, sobject: str, ext_field: str) -> Response | None:
        if sobject != self.sobject:
            return _errors(404, "NOT_FOUND", f"The requested resource does not exist: {sobject}")
        if ext_field not in self.external_id_fields:
            return _errors(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {ext_field}",
            )
        return None

    def _composite(self, request: Request, sobject: str, ext_field: str) -> Response:
        if (bad := self._check_target(sobject, ext_field)) is not None:
            return bad
        try:
            body = request.json()
        except ValueError:
            return _errors(400, "JSON_PARSER_ERROR", "Unexpected character: was expecting JSON")
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            return _errors(400, "INVALID_FIELD", "records is required")
        if len(records) > MAX_RECORDS:
            return _errors(
                400,
                "EXCEEDED_ID_LIMIT",
                f"Record limit reached. Maximum number of records is {MAX_RECORDS}.",
            )
        for record in records:
            if (
                not isinstance(record, dict)
                or (record.get("attributes") or {}).get("type") != sobject
            ):
                return _errors(
                    400, "INVALID_TYPE", "Each record needs attributes.type = " + sobject
                )
            bad_fields = [k for k in record if k != "attributes" and not _FIELD.match(k)]
            if bad_fields:
                return _errors(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{bad_fields[0]}' on sobject of type {sobject}",
                )
        counts: dict[str, int] = {}
        for record in records:
            key = str(record.get(ext_field))
            counts[key] = counts.get(key, 0) + 1
        all_or_none = bool(body.get("allOrNone"))
        # only an all-or-none request can need rolling back
        snapshot = json.loads(json.dumps(self.records)) if all_or_none else None
        results = [self._upsert_one(r, ext_field, counts) for r in records]
        if snapshot is not None and not all(r["success"] for r in results):
            self.records = snapshot  # roll back: nothing of this request stays written
            results = [
                r
                if not r["success"]
                else {
                    "id": None,
                    "success": False,
                    "created": False,
                    "errors": [
                        {
                            "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                            "message": "Record rolled back because not all records were valid "
                            "and the request was using AllOrNone header",
                            "fields": [],
                        }
                    ],
                }
                for r in results
            ]
        return Response.json(results)

    def _upsert_one(
        self, record: dict[str, Any], ext_field: str, counts: dict[str, int]
    ) -> dict[str, Any]:
        key = record.get(ext_field)

        def fail(code: str, message: str, fields: list[str]) -> dict[str, Any]:
            return {
                "id": None,
                "success": False,
                "created": False,
                "errors": [{"statusCode": code, "message": message, "fields": fields}],
            }

        if key in (None, ""):
            return fail("MISSING_ARGUMENT", f"{ext_field} not specified", [ext_field])
        key = str(key)
        if counts.get(key, 0) > 1:
            return fail(
                "DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {key}", [ext_field]
            )
        if key in self.duplicates:
            return fail(
                "DUPLICATE_EXTERNAL_ID",
                f"{ext_field}: more than one record found for external id field",
                [ext_field],
            )
        if key in self.fail_ids:
            return fail(self.fail_ids[key], f"record {key} rejected by a validation rule", [])
        fields = {k: v for k, v in record.items() if k not in ("attributes", ext_field)}
        existing = self.records.get(key)
        name = fields.get("Name", existing.get("Name") if existing else None)
        if name is None or not str(name).strip():
            return fail("REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", ["Name"])
        if existing is None:
            existing = self.records[key] = {"Id": f"001FAKE{next(self._ids):011d}", ext_field: key}
            self.creations[key] = self.creations.get(key, 0) + 1
            created = True
        else:
            created = False
        existing.update(fields)
        return {"id": existing["Id"], "success": True, "created": created, "errors": []}

    def _single(self, request: Request, sobject: str, ext_field: str, value: str) -> Response:
        if (bad := self._check_target(sobject, ext_field)) is not None:
            return bad
        if value in self.duplicates:
            return Response.json(
                [f"/services/data/v60.0/sobjects/{sobject}/001DUP{n}" for n in (1, 2)], status=300
            )
        try:
            fields = request.json()
        except ValueError:
            return _errors(400, "JSON_PARSER_ERROR", "Unexpected character: was expecting JSON")
        if not isinstance(fields, dict):
            return _errors(400, "INVALID_FIELD", "body must be an object")
        result = self._upsert_one({**fields, ext_field: value}, ext_field, {})
        if not result["success"]:
            err = result["errors"][0]
            return _errors(400, err["statusCode"], err["message"], err["fields"])
        if result["created"]:
            return Response.json(
                {"id": result["id"], "success": True, "errors": [], "created": True}, status=201
            )
        return Response(204)


def records_from_demo(people: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The downstream CRM starts without any golden record: an empty seed.

    Present so every fake is seeded the same way; a test that needs Accounts already in
    place passes ``{"accounts": [{"Chub_Golden_Id__c": ..., "Name": ...}]}`` itself.
    """
    return {"accounts": []}

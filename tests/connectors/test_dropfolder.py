"""Drop-folder connector: encodings, XLSX, once-only files, flagged rows."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from pydantic import ValidationError

from connectors.contract import ConnectorConfigError
from connectors.dropfolder import DropFolderSource, Settings

COLUMNS = {"name": "姓名", "mobile": "手机", "email": "邮箱", "company_name": "公司"}
CSV = (
    "姓名,手机,邮箱,公司\n"
    "张伟,+86 138-0013-8000,zw@example.cn,北京星辰科技有限公司\n"
    "李娜,13912345678,,\n"
)


def source(folder: Path, **extra: Any) -> DropFolderSource:
    return DropFolderSource(Settings(**{"path": str(folder), "columns": COLUMNS, **extra}))


def pull_all(src: DropFolderSource, cursor: str | None = None) -> tuple[list[Any], str | None]:
    records: list[Any] = []
    last = cursor
    for page in src.pull("leads", cursor):
        records.extend(page.records)
        last = page.cursor
    return records, last


def drop(folder: Path, name: str, data: bytes, age: int = 0) -> Path:
    path = folder / name
    path.write_bytes(data)
    stamp = 1_700_000_000 + age
    os.utime(path, (stamp, stamp))
    return path


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("utf-8", CSV.encode("utf-8")),
        ("utf-8-sig", b"\xef\xbb\xbf" + CSV.encode("utf-8")),
        ("gb18030", CSV.encode("gbk")),
        ("utf-16", CSV.replace(",", "\t").encode("utf-16")),
    ],
)
def test_encodings(tmp_path: Path, encoding: str, data: bytes) -> None:
    drop(tmp_path, "leads.csv", data)
    src = source(tmp_path, delimiter="\t" if encoding == "utf-16" else ",")
    records, _ = pull_all(src)
    assert [r.key for r in records] == ["leads.csv#2", "leads.csv#3"]
    assert records[0].payload["encoding"] == encoding
    first = src.map_record("leads", records[0].payload).customer
    assert first == {
        "name": "张伟",
        "mobile": "+86 138-0013-8000",
        "email": "zw@example.cn",
        "company_name": "北京星辰科技有限公司",
    }
    assert src.map_record("leads", records[1].payload).customer == {
        "name": "李娜",
        "mobile": "13912345678",
    }


def test_xlsx_with_number_and_date_cells(tmp_path: Path) -> None:
    from datetime import datetime

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "手机", "邮箱", "公司", "提交时间"])
    ws.append(["王芳", 13700001111, "wf@example.cn", None, datetime(2026, 10, 1, 9, 30)])
    ws.append([None, None, None, None, None])
    ws.append(["赵六", "137-0000-2222", None, "某某公司", "2026/10/02 10:00"])
    wb.save(tmp_path / "form.xlsx")
    src = source(tmp_path, columns={**COLUMNS, "submitted_at": "提交时间"})
    records, _ = pull_all(src)
    assert [r.key for r in records] == ["form.xlsx#2", "form.xlsx#4"]
    mapped = src.map_record("leads", records[0].payload)
    assert mapped.customer == {"name": "王芳", "mobile": "13700001111", "email": "wf@example.cn"}
    assert mapped.activity is not None and mapped.activity.kind == "campaign"
    assert (
        mapped.activity.at == "2026-10-01T09:30:00"
        and mapped.activity.customer_key == "form.xlsx#2"
    )
    assert src.map_record("leads", records[1].payload).activity.at == "2026-10-02T10:00:00"


def test_file_is_processed_once_even_when_redropped(tmp_path: Path) -> None:
    drop(tmp_path, "a.csv", CSV.encode(), age=0)
    src = source(tmp_path)
    first, cursor = pull_all(src)
    assert len(first) == 2
    shutil.copy(tmp_path / "a.csv", tmp_path / "a (1).csv")  # the same export dropped again
    drop(tmp_path, "a.csv", CSV.encode(), age=50)  # re-saved, same bytes
    again, cursor = pull_all(src, cursor)
    assert again == []
    changed = CSV + "王五,13600003333,ww@example.cn,\n"
    drop(tmp_path, "a.csv", changed.encode(), age=100)  # corrected export, same name
    third, cursor = pull_all(src, cursor)
    assert [r.key for r in third] == ["a.csv#2", "a.csv#3", "a.csv#4"]
    assert len(json.loads(cursor)["done"]) == 2
    full, _ = pull_all(src, None)  # --full reads everything again
    assert len(full) == 5


def test_bad_rows_and_undecodable_file_are_flagged_and_the_sync_goes_on(tmp_path: Path) -> None:
    text = CSV + "坏行,1,2,3,4,5\n短行,139\n孙七,13500004444,,,\n\n"
    drop(tmp_path, "a.csv", text.encode(), age=0)
    drop(tmp_path, "b.csv", b"\x80\xff\xfe\x00garbage", age=1)
    drop(tmp_path, "c.csv", "姓名,手机\n周八,13300005555\n".encode("gbk"), age=2)
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    src = source(tmp_path)
    records, cursor = pull_all(src)
    by_key = {r.key: r for r in records}
    assert by_key["a.csv#4"].payload is None and by_key["a.csv#4"].raw_text == "坏行,1,2,3,4,5"
    assert "6 cells" in by_key["a.csv#4"].problem
    assert by_key["a.csv#5"].payload is None and by_key["a.csv#5"].raw_text == "短行,139"
    assert by_key["a.csv#6"].payload["fields"]["姓名"] == "孙七"  # trailing empty cells are fine
    assert by_key["b.csv"].payload is None and "GB18030" in by_key["b.csv"].problem
    assert by_key["broken.xlsx"].payload is None
    assert by_key["c.csv#2"].payload["fields"]["手机"] == "13300005555"
    assert len(json.loads(cursor)["done"]) == 4  # flagged files are not re-flagged every sync


def test_key_column(tmp_path: Path) -> None:
    drop(tmp_path, "a.csv", "线索ID,姓名,手机\nL1,张伟,13800138000\n,李娜,139\n".encode())
    records, _ = pull_all(
        DropFolderSource(
            Settings(
                path=str(tmp_path), key_column="线索ID", columns={"name": "姓名", "mobile": "手机"}
            )
        )
    )
    assert records[0].key == "L1" and records[0].payload["key"] == "L1"
    assert records[1].key == "a.csv#3" and records[1].payload is None
    records, _ = pull_all(DropFolderSource(Settings(path=str(tmp_path), key_column="编号")))
    assert len(records) == 1 and "no key column" in records[0].problem


def test_pages_resume_inside_a_file(tmp_path: Path) -> None:
    rows = "".join(f"客户{n},1380000{n:04d},,\n" for n in range(7))
    drop(tmp_path, "big.csv", ("姓名,手机,邮箱,公司\n" + rows).encode())
    src = source(tmp_path, page_size=3)
    pages = list(src.pull("leads", None))
    assert [len(p.records) for p in pages] == [3, 3, 1]
    resumed, _ = pull_all(src, pages[0].cursor)  # as if the sync died after page one
    assert [r.key for r in resumed] == [f"big.csv#{n}" for n in range(5, 9)]


def test_headers_as_canonical_names_and_defaults(tmp_path: Path) -> None:
    drop(
        tmp_path,
        "a.csv",
        "Name,Mobile,Phones,Tags,customer_type\nACME,,010-1;010-2,VIP、KA,企业\n".encode(),
    )
    src = DropFolderSource(Settings(path=str(tmp_path), customer_type="person"))
    record = pull_all(src)[0][0]
    assert src.map_record("leads", record.payload).customer == {
        "name": "ACME",
        "phones": ["010-1", "010-2"],
        "tags": ["VIP", "KA"],
        "customer_type": "company",
    }


def test_settings_and_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown canonical field"):
        Settings(path=str(tmp_path), columns={"nmae": "姓名"})
    with pytest.raises(ValidationError, match="missing' does not exist"):
        source(tmp_path / "missing")  # at load, not at the first sync
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValidationError, match="is not a folder"):
        source(tmp_path / "file")
    gone = tmp_path / "gone"
    gone.mkdir()
    later = source(gone)
    gone.rmdir()  # removed after chub.yaml was loaded: the sync says so
    with pytest.raises(ConnectorConfigError):
        pull_all(later)
    empty, cursor = pull_all(source(tmp_path))
    assert empty == [] and json.loads(cursor) == {"done": []}


def test_files_still_being_copied_wait_for_the_next_sync(tmp_path: Path) -> None:
    drop(tmp_path, "old.csv", CSV.encode())
    (tmp_path / "fresh.csv").write_bytes(CSV.encode())  # mtime: now
    records, cursor = pull_all(source(tmp_path, settle_seconds=60))
    assert {r.key.split("#")[0] for r in records} == {"old.csv"}
    os.utime(tmp_path / "fresh.csv", (1_700_000_100, 1_700_000_100))
    later, _ = pull_all(source(tmp_path, settle_seconds=60), cursor)
    assert later == []  # same bytes as old.csv: landed already

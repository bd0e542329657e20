"""Drop-folder connector: encodings, XLSX, once-only files, flagged rows."""

from __future__ import annotations

import codecs
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
    assert [r.key[:4] for r in records] == ["row:", "row:"] and not any(r.problem for r in records)
    assert records[0].payload["encoding"] == encoding
    assert [r.payload["row"] for r in records] == [2, 3]
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
    assert [r.payload["row"] for r in records] == [2, 4]
    mapped = src.map_record("leads", records[0].payload)
    assert mapped.customer == {"name": "王芳", "mobile": "13700001111", "email": "wf@example.cn"}
    assert mapped.activity is not None and mapped.activity.kind == "campaign"
    assert (
        mapped.activity.at == "2026-10-01T09:30:00"
        and mapped.activity.customer_key == records[0].key
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
    assert [r.key for r in third[:2]] == [r.key for r in first]  # the rows it still holds
    assert len(third) == 3 and third[2].payload["fields"]["姓名"] == "王五"
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
    by_text = {r.raw_text: r for r in records if r.payload is None}
    by_name = {r.payload["fields"]["姓名"]: r for r in records if r.payload is not None}
    assert "6 cells" in by_text["坏行,1,2,3,4,5"].problem
    assert by_text["坏行,1,2,3,4,5"].key.startswith("bad:")
    assert "2 cells" in by_text["短行,139"].problem
    assert by_name["孙七"].payload["row"] == 6  # trailing empty cells are fine
    flagged = {r.key: r for r in records if r.payload is None}
    assert "GB18030" in flagged["b.csv"].problem and "header" in flagged["b.csv"].problem
    assert "broken.xlsx" in flagged
    assert by_name["周八"].payload["fields"]["手机"] == "13300005555"
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
    assert records[1].key == "a.csv#3" and records[1].payload is None  # no key: its place
    records, _ = pull_all(DropFolderSource(Settings(path=str(tmp_path), key_column="编号")))
    # the file is flagged, and each of its rows with it (raw, under its place): none lost
    assert [(r.key, r.payload) for r in records] == [
        ("a.csv", None),
        ("a.csv#2", None),
        ("a.csv#3", None),
    ]
    assert all("no key column '编号'" in (r.problem or "") for r in records)
    assert records[1].raw_text == "L1,张伟,13800138000"


def test_pages_resume_inside_a_file(tmp_path: Path) -> None:
    rows = "".join(f"客户{n},1380000{n:04d},,\n" for n in range(7))
    drop(tmp_path, "big.csv", ("姓名,手机,邮箱,公司\n" + rows).encode())
    src = source(tmp_path, page_size=3)
    pages = list(src.pull("leads", None))
    assert [len(p.records) for p in pages] == [3, 3, 1]
    resumed, _ = pull_all(src, pages[0].cursor)  # as if the sync died after page one
    assert [r.payload["row"] for r in resumed] == list(range(5, 9))
    assert [r.key for r in resumed] == [r.key for p in pages[1:] for r in p.records]


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
    assert {r.payload["file"] for r in records} == {"old.csv"}
    os.utime(tmp_path / "fresh.csv", (1_700_000_100, 1_700_000_100))
    later, _ = pull_all(source(tmp_path, settle_seconds=60), cursor)
    assert later == []  # same bytes as old.csv: landed already


# ---------------------------------------------------------------- nothing lost silently


def test_one_broken_byte_flags_its_row_and_the_good_rows_land(tmp_path: Path) -> None:
    good = CSV.encode("utf-8")
    broken = "王五,13600003333,ww@example.cn,星辰".encode() + b"\xe6\x9c" + b"\n"  # cut short
    drop(tmp_path, "a.csv", good + broken + "赵六,13700001111,,\n".encode())
    records, cursor = pull_all(source(tmp_path))
    landed = [r.payload["fields"]["姓名"] for r in records if r.payload is not None]
    assert landed == ["张伟", "李娜", "赵六"]
    (bad,) = [r for r in records if r.payload is None]
    assert "row 4" in (bad.problem or "") and "neither UTF-8 nor GBK" in (bad.problem or "")
    assert bad.raw_text is not None and bad.raw_text.startswith("王五,13600003333")
    assert len(json.loads(cursor or "")["done"]) == 1


def test_a_file_mixing_utf8_and_gbk_rows_decodes_each_row_in_its_own(tmp_path: Path) -> None:
    data = (
        "姓名,手机,邮箱,公司\n".encode()
        + "张伟,13800138000,,北京星辰科技有限公司\n".encode()
        + "李娜,13912345678,,厦门示例科技有限公司\n".encode("gbk")  # pasted from another export
        + "王芳,13700137000,,\n".encode()
    )
    drop(tmp_path, "mixed.csv", data)
    src = source(tmp_path)
    records, _ = pull_all(src)
    assert [(r.payload["fields"]["姓名"], r.payload["encoding"]) for r in records] == [
        ("张伟", "utf-8"),
        ("李娜", "gb18030"),
        ("王芳", "utf-8"),
    ]
    assert (
        src.map_record("leads", records[1].payload).customer["company_name"]
        == "厦门示例科技有限公司"
    )


def test_a_gbk_file_with_a_broken_byte_keeps_its_other_rows(tmp_path: Path) -> None:
    data = CSV.encode("gbk") + b"\xff\xfe,13600003333,,\n" + "孙七,13500004444,,\n".encode("gbk")
    drop(tmp_path, "a.csv", data)
    records, _ = pull_all(source(tmp_path))
    assert [r.payload["fields"]["姓名"] for r in records if r.payload] == ["张伟", "李娜", "孙七"]
    assert [r.payload for r in records if r.problem] == [None]


def test_merged_cells_are_filled_from_their_top_left_and_flagged(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "手机", "邮箱", "公司"])
    ws.append(["张伟", "13800138000", None, "北京星辰科技有限公司"])
    ws.append(["李娜", "13912345678", None, None])
    ws.append(["王芳", "13700137000", None, None])
    ws.append(["赵六", "13600136000", None, "某某公司"])
    ws.merge_cells("D2:D4")  # one company for three contacts, as people lay sheets out
    wb.save(tmp_path / "merged.xlsx")
    src = source(tmp_path)
    records, _ = pull_all(src)
    companies = {r.payload["fields"]["姓名"]: r.payload["fields"]["公司"] for r in records}
    assert companies == {
        "张伟": "北京星辰科技有限公司",
        "李娜": "北京星辰科技有限公司",
        "王芳": "北京星辰科技有限公司",
        "赵六": "某某公司",
    }
    notes = {r.payload["fields"]["姓名"]: r.problem for r in records}
    assert notes["张伟"] is None and notes["赵六"] is None
    assert notes["李娜"] == "row 3: cells filled from merged cell(s) D2:D4"
    assert notes["王芳"] == "row 4: cells filled from merged cell(s) D2:D4"
    customer = src.map_record("leads", records[1].payload).customer
    assert customer["company_name"] == "北京星辰科技有限公司"


def test_a_re_export_with_a_row_inserted_keeps_every_other_key(tmp_path: Path) -> None:
    rows = [f"客户{n},1380000{n:04d},c{n}@example.cn,\n" for n in range(6)]
    header = "姓名,手机,邮箱,公司\n"
    drop(tmp_path, "leads.csv", (header + "".join(rows)).encode(), age=0)
    first, _ = pull_all(source(tmp_path))
    inserted = rows[:2] + ["新客户,13900009999,,\n"] + rows[2:]
    # the next export: one row more, columns reordered, full-width digits, other name
    reordered = "".join(
        f"{m},{n},{e},{c}".replace("0", "０") + "\n"
        for n, m, e, c in (line.rstrip("\n").split(",") for line in inserted)
    )
    drop(tmp_path, "leads-2.csv", ("手机,姓名,邮箱,公司\n" + reordered).encode(), age=10)
    both, _ = pull_all(source(tmp_path))
    again = [r for r in both if r.payload["file"] == "leads-2.csv"]
    before = {r.key for r in first}
    assert len(before) == 6 and {r.key for r in again} - before == {again[2].key}
    assert again[2].payload["fields"]["姓名"] == "新客户"


def test_identical_rows_of_a_file_get_numbered_keys(tmp_path: Path) -> None:
    drop(
        tmp_path,
        "a.csv",
        (CSV + "张伟,+86 138-0013-8000,zw@example.cn,北京星辰科技有限公司\n").encode(),
    )
    records, _ = pull_all(source(tmp_path))
    keys = [r.key for r in records]
    assert len(set(keys)) == 3 and keys[2] == keys[0] + "~2"


def test_an_unknown_encoding_is_refused_at_load(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown encoding 'gbk2'"):
        Settings(path=str(tmp_path), encoding="gbk2")
    drop(tmp_path, "a.csv", CSV.encode("gbk"))
    records, _ = pull_all(source(tmp_path, encoding="gbk"))
    assert [r.payload["encoding"] for r in records] == ["gbk", "gbk"]


# ------------------------------------------- found by the drop-folder property (tests/property)


def test_a_file_opening_with_blank_lines_lands_its_rows(tmp_path: Path) -> None:
    # the first row was taken for the header: blank, so the file "had nothing to land" and
    # was marked done with every row unread
    drop(tmp_path, "a.csv", ("\n\r\n" + CSV).encode())
    records, cursor = pull_all(source(tmp_path))
    assert [r.payload["fields"]["姓名"] for r in records] == ["张伟", "李娜"]
    assert [r.payload["row"] for r in records] == [4, 5]  # the rows a person sees
    assert len(json.loads(cursor or "")["done"]) == 1


def test_the_rows_of_a_file_whose_header_cannot_be_read_land_flagged(tmp_path: Path) -> None:
    # only the header's text was kept, in one record for the file: every row was lost
    data = "姓名,手机".encode() + b"\xff\n" + "张伟,13800138000\n,\n李娜,139\n".encode()
    drop(tmp_path, "a.csv", data)
    records, _ = pull_all(source(tmp_path, page_size=2))
    assert [r.raw_text for r in records] == ["姓名,手机\ufffd", "张伟,13800138000", "李娜,139"]
    assert all(r.payload is None for r in records)
    assert records[0].key == "a.csv" and "cannot read the header" in (records[0].problem or "")
    assert records[1].key.startswith("bad:") and (records[1].problem or "").startswith("row 2: ")
    keyed, _ = pull_all(source(tmp_path, key_column="编号"))
    assert [r.key for r in keyed] == ["a.csv", "a.csv#2", "a.csv#4"]


def test_a_cell_over_csvs_default_field_limit_lands_whole(tmp_path: Path) -> None:
    # csv refuses a field over 131,072 characters: the row was flagged "unparsable", and
    # the rest of a multi-line cell was read as rows of their own
    note = "备注第一行\n" * 30_000  # 180,000 characters on 30,000 lines
    text = "姓名,备注\n" + f'张伟,"{note}"\n' + "李娜,短\n"
    drop(tmp_path, "a.csv", text.encode())
    records, _ = pull_all(source(tmp_path, columns={"name": "姓名"}))
    assert [(r.payload["fields"]["姓名"], r.problem) for r in records] == [
        ("张伟", None),
        ("李娜", None),
    ]
    assert records[0].payload["fields"]["备注"] == note


def test_a_flagged_rows_text_is_kept_whole(tmp_path: Path) -> None:
    # a flagged row's raw text was cut to 2,000 characters, silently (landing bounds what
    # it stores, at 1,000,000 characters, and says so)
    long = "很长的地址" * 1000
    drop(tmp_path, "a.csv", (CSV + f"王五,139,{long},公司,多出来的一格\n").encode())
    records, _ = pull_all(source(tmp_path))
    (flagged,) = [r for r in records if r.payload is None]
    assert flagged.raw_text == f"王五,139,{long},公司,多出来的一格"


def test_a_genuine_replacement_character_in_utf16_is_data(tmp_path: Path) -> None:
    # a UTF-16 line was judged undecodable by the U+FFFD in its text, so a real U+FFFD
    # (an export's own replacement of a character it lost) flagged a good row
    head = "姓名\t备注\n张伟\t原文\ufffd丢失\n".encode("utf-16-le")
    broken = "李娜\t".encode("utf-16-le") + b"\x00\xdc" + "坏\n".encode("utf-16-le")
    drop(tmp_path, "a.csv", codecs.BOM_UTF16_LE + head + broken)
    records, _ = pull_all(source(tmp_path, delimiter="\t", columns={"name": "姓名"}))
    good, bad = records
    assert good.problem is None and good.payload["fields"]["备注"] == "原文\ufffd丢失"
    assert bad.payload is None and "not utf-16" in (bad.problem or "")
    assert bad.raw_text == "李娜\t\ufffd坏"


@pytest.mark.parametrize("name", ["UTF-16LE", "utf_16_le", "UTF-32BE", "utf_32_le", "UTF16"])
def test_a_wide_codec_declared_by_any_of_its_names(tmp_path: Path, name: str) -> None:
    # only the spellings utf-16, utf-16-le, utf-16-be and utf-32 were read as wide codecs;
    # any other name of them was split on 0x0A bytes into garbage rows
    drop(tmp_path, "a.csv", CSV.encode(codecs.lookup(name).name))
    records, _ = pull_all(source(tmp_path, encoding=name))
    assert [r.payload["fields"]["姓名"] for r in records] == ["张伟", "李娜"]
    assert not any(r.problem for r in records)


@pytest.mark.parametrize("declared", ["utf-8", "utf-8-sig", "UTF8"])
def test_a_declared_utf8_file_with_a_bom_has_no_bom_in_its_header(
    tmp_path: Path, declared: str
) -> None:
    # the BOM was only taken off with encoding: auto; declared, it became part of the first
    # header ("\ufeff姓名"), so that column was never found
    drop(tmp_path, "a.csv", codecs.BOM_UTF8 + CSV.encode())
    records, _ = pull_all(source(tmp_path, encoding=declared, key_column="姓名"))
    assert [r.key for r in records] == ["张伟", "李娜"]


def test_a_gbk_line_that_is_also_valid_utf8_is_gbk_in_a_gbk_file(tmp_path: Path) -> None:
    # GBK 女 (C5 AE) and 隆 (C2 A1) are valid UTF-8 (Ů, ¡): a line holding no other
    # Chinese was read as UTF-8 in a file whose every other line is GBK
    rows = "姓名,性别,手机\n张伟,男,13800138000\nAlice,女,13912345678\n隆,女,137\n"
    drop(tmp_path, "gbk.csv", rows.encode("gbk"), age=0)
    src = source(tmp_path, columns={"name": "姓名"})
    records, _ = pull_all(src)
    assert [(r.payload["fields"]["姓名"], r.payload["fields"]["性别"]) for r in records] == [
        ("张伟", "男"),
        ("Alice", "女"),
        ("隆", "女"),
    ]
    assert {r.payload["encoding"] for r in records} == {"gb18030"}
    # the same bytes in a file that holds UTF-8 stay UTF-8 (stitched files keep UTF-8 first)
    utf8 = "姓名,性别,手机\n陈静,女,13800138000\n".encode() + "Alice,女,139\n".encode("gbk")
    drop(tmp_path, "mixed.csv", utf8, age=1)
    later = [r for r in pull_all(src)[0] if r.payload["file"] == "mixed.csv"]
    assert [r.payload["fields"]["性别"] for r in later] == ["女", "Ů"]

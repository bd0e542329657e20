"""The matching spec: types, not names; clear errors for mistakes."""

from __future__ import annotations

import pytest

from dedupe import CUSTOMER_SPEC, DedupeError, DedupeInputError, FieldType, MatchSettings, MatchSpec


def test_from_dict() -> None:
    spec = MatchSpec.from_dict({"id": "row_id", "fields": {"n": "person_name", "m": "phone"}})
    assert spec.fields == {"n": FieldType.PERSON_NAME, "m": FieldType.PHONE}
    assert spec.region == "CN"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"id": "x", "fields": {"a": "nickname"}}, "unknown type 'nickname'"),
        ({"id": "x", "fields": {"a": "locality"}}, "unknown type"),
        ({"fields": {"a": "text"}}, "id"),
        ({"id": "x"}, "fields"),
        ({"id": "x", "fields": {"x": "text"}}, "cannot also be"),
        ([1, 2], "mapping"),
    ],
)
def test_spec_mistakes(data: object, words: str) -> None:
    with pytest.raises(DedupeInputError, match=words):
        MatchSpec.from_dict(data)  # type: ignore[arg-type]


def test_input_error_is_a_dedupe_error() -> None:
    assert issubclass(DedupeInputError, DedupeError)


def test_from_yaml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "spec.yaml"
    path.write_text("id: cid\nregion: us\nfields:\n  name: person_name\n  tel: phone\n")
    spec = MatchSpec.from_yaml(str(path))
    assert spec.id == "cid" and spec.region == "US" and spec.fields["tel"] is FieldType.PHONE
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n")
    with pytest.raises(DedupeInputError, match="not valid YAML"):
        MatchSpec.from_yaml(str(bad))
    with pytest.raises(DedupeInputError, match="Cannot read"):
        MatchSpec.from_yaml(str(tmp_path / "missing.yaml"))


def test_customer_spec() -> None:
    f = CUSTOMER_SPEC.fields
    assert f["name"] is FieldType.PERSON_NAME and f["phones"] is FieldType.PHONE
    assert f["uscc"] is FieldType.IDENTIFIER and f["city"] is FieldType.CATEGORY
    assert {
        "company_name",
        "mobile",
        "email",
        "wecom_external_userid",
        "wechat_unionid",
        "province",
        "district",
        "address",
    } <= set(f)


def test_settings_validate() -> None:
    with pytest.raises(DedupeInputError):
        MatchSettings(upper=0.5, lower=0.9)

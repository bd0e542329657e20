"""Rules from config: defaults, overrides, and errors that name the key."""

from __future__ import annotations

import os

import pytest

os.environ["GX_ANALYTICS_ENABLED"] = "false"

from quality import (  # noqa: E402
    Allowed,
    Completeness,
    Format,
    QualityConfigError,
    Required,
    RequiredAny,
    Unique,
    default_rules,
    rules_from_config,
)


def test_defaults_cover_every_rule_type() -> None:
    rules = default_rules()
    erp = rules.for_scope("erp")
    kinds = {type(r) for r in erp.rules}
    assert {Required, RequiredAny, Format, Allowed, Unique} <= kinds
    assert Required("name") in erp.rules
    assert RequiredAny(("mobile", "email", "wecom_external_userid")) in erp.rules
    assert Format("uscc", "uscc") in erp.rules
    assert Unique("source_key") in erp.rules
    assert Unique("golden_id") in rules.for_scope("golden").rules
    assert erp.max_failure_rate == 0.2 and erp.blocking
    assert rules_from_config(None) == rules == rules_from_config({})


def test_source_override_merges_over_default() -> None:
    rules = rules_from_config(
        {
            "sources": {
                "default": {"max_failure_rate": 0.1},
                "erp": {"required": ["name", "company_name"], "completeness": {"mobile": 0.8}},
                "wecom": {"blocking": False, "formats": {"email": None}},
            },
            "formats": {"source_updated_at": None, "wechat_unionid": "identifier"},
            "allowed": {"customer_type": ["person", "company", "lead"]},
        }
    )
    erp = rules.for_scope("erp")
    assert Required("company_name") in erp.rules
    assert Completeness("mobile", 0.8) in erp.rules
    assert erp.max_failure_rate == 0.1
    assert not any(isinstance(r, Format) and r.field == "source_updated_at" for r in erp.rules)
    assert Format("wechat_unionid", "identifier") in erp.rules
    assert Allowed("customer_type", ("person", "company", "lead")) in erp.rules
    wecom = rules.for_scope("wecom")
    assert not wecom.blocking and not wecom.blocks(0.9)
    assert not any(isinstance(r, Format) and r.field == "email" for r in wecom.rules)
    other = rules.for_scope("call_centre")  # not configured: the default
    assert other.scope == "call_centre" and other.max_failure_rate == 0.1
    assert sorted(rules.sources) == ["erp", "wecom"]


def test_blocks_only_above_threshold() -> None:
    erp = default_rules().for_scope("erp")
    assert not erp.blocks(0.2)
    assert erp.blocks(0.21)
    # golden: failing records are held back one by one; the whole publication stops only
    # when more than 5 % fail, which means something upstream broke
    golden = default_rules().for_scope("golden")
    assert not golden.blocks(0.05)
    assert golden.blocks(0.06)


@pytest.mark.parametrize(
    ("cfg", "key"),
    [
        ({"formats": {"mobile": "cn_mobil"}}, "quality.formats.mobile"),
        ({"sources": {"erp": {"required": "name"}}}, "quality.sources.erp.required"),
        ({"sources": {"erp": {"max_failure_rate": 1.5}}}, "quality.sources.erp.max_failure_rate"),
        (
            {"sources": {"erp": {"max_failure_rate": "high"}}},
            "quality.sources.erp.max_failure_rate",
        ),
        ({"golden": {"requird": ["name"]}}, "quality.golden.requird"),
        ({"sourcs": {}}, "quality.sourcs"),
        (
            {"sources": {"crm": {"required_any": [["mobile", 3]]}}},
            "quality.sources.crm.required_any[0][1]",
        ),
        ({"sources": {"crm": {"required_any": [[]]}}}, "quality.sources.crm.required_any[0]"),
        ({"allowed": {"customer_type": []}}, "quality.allowed.customer_type"),
        ({"allowed": {"customer_type": "person"}}, "quality.allowed.customer_type"),
        ({"unique": {"silver": ["x"]}}, "quality.unique.silver"),
        ({"sources": {"erp": {"blocking": "yes"}}}, "quality.sources.erp.blocking"),
        (
            {"sources": {"erp": {"completeness": {"mobile": 2}}}},
            "quality.sources.erp.completeness.mobile",
        ),
        (
            {"sources": {"erp": {"formats": {"uscc": "gb32100"}}}},
            "quality.sources.erp.formats.uscc",
        ),
        ({"sources": ["erp"]}, "quality.sources"),
        ({"region": "yes"}, "quality.region"),
    ],
)
def test_config_errors_name_the_key(cfg: dict, key: str) -> None:
    with pytest.raises(QualityConfigError) as err:
        rules_from_config(cfg)
    assert err.value.key_path == key
    assert str(err.value).startswith(key + ": ")


def test_not_a_mapping() -> None:
    with pytest.raises(QualityConfigError, match="must be a mapping"):
        rules_from_config(["nope"])  # type: ignore[arg-type]


def test_scope_level_unique_and_allowed() -> None:
    rules = rules_from_config(
        {
            "sources": {
                "erp": {"unique": ["source_key", "uscc"], "allowed": {"customer_type": ["company"]}}
            },
            "unique": {"golden": ["golden_id", "wechat_unionid"]},
            "region": False,
        }
    )
    erp = rules.for_scope("erp")
    assert {r.field for r in erp.of(Unique)} == {"source_key", "uscc"}
    assert Allowed("customer_type", ("company",)) in erp.rules
    assert {r.field for r in rules.for_scope("golden").of(Unique)} == {
        "golden_id",
        "wechat_unionid",
    }
    assert {r.field for r in rules.for_scope("crm").of(Unique)} == {"source_key"}
    assert not any(r.rule == "region" for r in erp.rules)

"""The matching spec (which column is the id, what type each field is) and settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dedupe.errors import DedupeInputError

__all__ = ["CUSTOMER_SPEC", "FieldType", "MatchSettings", "MatchSpec"]


class FieldType(StrEnum):
    PERSON_NAME = "person_name"
    COMPANY_NAME = "company_name"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    TEXT = "text"
    DATE = "date"
    POSTCODE = "postcode"
    IDENTIFIER = "identifier"
    CATEGORY = "category"
    # internal, never written in a spec: the record's place (province / city / district)
    # pooled from its address and region categories, compared across columns
    LOCALITY = "locality"


@dataclass(frozen=True)
class MatchSpec:
    """`id` names the record-id column; `fields` maps column -> type. Types, not names,
    decide normalization, blocking and comparison. `region` is the default phone region
    for numbers written without a country code."""

    id: str
    fields: Mapping[str, FieldType]
    region: str = "CN"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MatchSpec:
        if not isinstance(data, Mapping):
            raise DedupeInputError("The matching spec must be a mapping with 'id' and 'fields'.")
        id_col = data.get("id")
        if not isinstance(id_col, str) or not id_col:
            raise DedupeInputError("The matching spec needs 'id: <column>' naming the id column.")
        raw_fields = data.get("fields")
        if not isinstance(raw_fields, Mapping) or not raw_fields:
            raise DedupeInputError("The matching spec needs 'fields: {<column>: <type>}'.")
        known = ", ".join(t.value for t in FieldType if t is not FieldType.LOCALITY)
        fields: dict[str, FieldType] = {}
        for col, typ in raw_fields.items():
            try:
                fields[str(col)] = FieldType(str(typ).strip())
                if fields[str(col)] is FieldType.LOCALITY:
                    raise ValueError
            except ValueError:
                raise DedupeInputError(
                    f"Field '{col}' has unknown type '{typ}'; known types: {known}."
                ) from None
        if id_col in fields:
            raise DedupeInputError(f"The id column '{id_col}' cannot also be a matched field.")
        region = str(data.get("region", "CN")).upper()
        return cls(id=id_col, fields=fields, region=region)

    @classmethod
    def from_yaml(cls, path: str) -> MatchSpec:
        import yaml

        try:
            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except OSError as exc:
            raise DedupeInputError(f"Cannot read spec file '{path}': {exc.strerror}.") from None
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            msg = str(exc).splitlines()[0]
            raise DedupeInputError(f"Spec file '{path}' is not valid YAML: {msg}.") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "fields": {k: v.value for k, v in self.fields.items()},
            "region": self.region,
        }


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds are match probabilities. A pair at or above `upper` is auto-merged,
    between `lower` and `upper` goes to review, below `lower` is kept apart.

    `cohesion`: two clusters joined by an auto-merge edge only merge when the average,
    over *all* their cross pairs, of what the fields say (probability at even prior
    odds) reaches it: one strong edge alone cannot chain two people together.
    `max_block_size`: blocks larger than this produce no pairs (a value shared by
    thousands of records identifies nobody); `max_pairs_per_record`: the candidate
    budget, weaker blocking passes are skipped once it is spent.
    `max_cluster_dense`: candidate components up to this size get every pair scored for
    the cohesion test; larger ones use their scored edges only. `em_iterations`,
    `u_sample_pairs`, `seed`: learning. `term_frequency`: weigh exact agreement on a
    common value less. `keep_candidates`: keep the candidate pairs on the Resolution
    (benchmarks measure blocking with them). `workers`: forked processes that
    build the fields (50k distinct values or more), run the blocking passes (200k records
    or more) and compare the candidate pairs (400k or more) side by side; 1 = in
    process, the safe choice inside threaded servers.
    """

    upper: float = 0.95
    lower: float = 0.6
    cohesion: float = 0.5
    max_block_size: int = 60
    max_pairs_per_record: float = 50.0
    max_cluster_dense: int = 400
    em_iterations: int = 40
    u_sample_pairs: int = 100_000
    seed: int = 42
    term_frequency: bool = True
    keep_candidates: bool = False
    workers: int = 1

    def __post_init__(self) -> None:
        if not 0.0 < self.lower <= self.upper < 1.0 + 1e-12:
            raise DedupeInputError("Thresholds must satisfy 0 < lower <= upper <= 1.")


# The canonical customer of customer-hub (see design.md, "The canonical customer").
CUSTOMER_SPEC = MatchSpec.from_dict(
    {
        "id": "id",
        "fields": {
            "name": "person_name",
            "company_name": "company_name",
            "mobile": "phone",
            "phones": "phone",
            "email": "email",
            "uscc": "identifier",
            "wecom_external_userid": "identifier",
            "wechat_unionid": "identifier",
            "province": "category",
            "city": "category",
            "district": "category",
            "address": "address",
        },
    }
)

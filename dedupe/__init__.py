"""Pure, spec-driven fuzzy matching of customer records (no I/O, deterministic).

normalize -> block -> compare -> score (Fellegi-Sunter, EM, term frequencies) ->
cluster (no chaining, constraints) -> stable cluster ids.

    spec = MatchSpec.from_yaml("spec.yaml")          # or CUSTOMER_SPEC
    res = resolve(records, spec, MatchSettings(upper=0.95, lower=0.6),
                  must_link=[...], cannot_link=[...], previous=last_run_ids)
    res.clusters   # record id -> cluster id (stable across runs)
    res.pairs      # ScoredPair(id_l, id_r, probability, decision, explanation, note)
    res.changes    # ClusterChange: created / joined / merged / split / left
    res2 = resolve_incremental(res, new_or_changed_records, removed_ids)

Explanations name every spec field plus derived comparisons: "~phone" / "~email" (all
phone / e-mail columns of a record pooled, when the spec has several) and "~locality"
(province / city / district pooled from the address and region columns). A weight is
the field's contribution in bits (log2 of the likelihood ratio); inside one group
(household: phones, address, postcode, region categories, place; or e-mails) only the
strongest agreement and the strongest disagreement count, the others show weight 0.
"""

from dedupe.columns import CodedColumn
from dedupe.engine import Resolution, ScoredPair, resolve, resolve_incremental
from dedupe.errors import DedupeError, DedupeInputError
from dedupe.ids import ClusterChange
from dedupe.model import Model
from dedupe.normalize import (
    name_phonetic,
    normalize_company_name,
    normalize_date,
    normalize_email,
    normalize_identifier,
    normalize_mobile,
    normalize_person_name,
    normalize_phone,
    normalize_postcode,
    normalize_text,
    split_cn_address,
)
from dedupe.spec import CUSTOMER_SPEC, FieldType, MatchSettings, MatchSpec

__all__ = [
    "CUSTOMER_SPEC",
    "ClusterChange",
    "CodedColumn",
    "DedupeError",
    "DedupeInputError",
    "FieldType",
    "MatchSettings",
    "MatchSpec",
    "Model",
    "Resolution",
    "ScoredPair",
    "name_phonetic",
    "normalize_company_name",
    "normalize_date",
    "normalize_email",
    "normalize_identifier",
    "normalize_mobile",
    "normalize_person_name",
    "normalize_phone",
    "normalize_postcode",
    "normalize_text",
    "resolve",
    "resolve_incremental",
    "split_cn_address",
]

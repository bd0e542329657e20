"""Pure, spec-driven fuzzy matching of customer records (no I/O, deterministic).

normalize -> block -> compare -> score (Fellegi-Sunter, EM, term frequencies) ->
cluster (no chaining, constraints) -> stable cluster ids.
"""

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

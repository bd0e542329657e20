"""The hub store: models, engine and migrations."""

from integration.store.db import (
    HubStoreError,
    check_reachable,
    current_revision,
    head_revision,
    make_engine,
    session_scope,
    upgrade,
)
from integration.store.models import (
    ActivityRow,
    AppUser,
    Base,
    CustomerRow,
    Decision,
    GoldenCustomer,
    GoldenMember,
    MatchPair,
    Outbound,
    QualityRun,
    SourceRecord,
    SyncState,
)

__all__ = [
    "ActivityRow",
    "AppUser",
    "Base",
    "CustomerRow",
    "Decision",
    "GoldenCustomer",
    "GoldenMember",
    "HubStoreError",
    "MatchPair",
    "Outbound",
    "QualityRun",
    "SourceRecord",
    "SyncState",
    "check_reachable",
    "current_revision",
    "head_revision",
    "make_engine",
    "session_scope",
    "upgrade",
]

"""Landing a page into PostgreSQL with psycopg 3: COPY into a temporary table, one merge.

Split from :mod:`integration.pipeline.land`, which makes the rows storable and decides
when this path is taken. Where the time goes, measured on a 200k-record initial load:
the merge's INSERT (heap, two btrees, WAL) is most of the server's time; what was cut
from it is the per-row ``json_build_array`` for the first hash-history entry (the same
JSON text is now built by concatenation: the digest is hex and the timestamp ISO, so it
needs no escaping) and the two look-ups of the old row per updated row in RETURNING (now
only a row whose ``changed_at`` moved is looked up, once).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, text

#: how many old hashes a record remembers
HASH_HISTORY = 20

#: what each page runs before its COPY: one round trip for both. A page that moves its
#: cursor need not wait for its WAL flush (~10 ms a commit here, half the time of a
#: 1000-record page): should the server crash in the next few hundred ms, the page is
#: lost together with its cursor, and the next sync pulls it again. (WAL is replayed in
#: order: nothing committed durably later can depend on a page that was lost.)
STAGE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS chub_landing_stage (source_key text, payload text, "
    "raw_text text, problem text, payload_hash text, deleted boolean) ON COMMIT DELETE ROWS"
)
NO_FLUSH_WAIT = "SET LOCAL synchronous_commit TO off"

_COPY = (
    "COPY chub_landing_stage (source_key, payload, raw_text, problem, payload_hash, deleted) "
    "FROM STDIN"
)

# ``same``: the record did not change; the old row is kept but for last_seen. The
# sub-select of RETURNING reads the statement's snapshot, i.e. the row as it was before
# this statement (no row: it is new to this statement's snapshot).
_SAME = "r.payload_hash = EXCLUDED.payload_hash"
_ARRAY = "CASE WHEN json_typeof(r.hash_history) = 'array' THEN r.hash_history ELSE '[]' END"
#: ``kind`` of each row: n(ew), s(ame), c(hanged), d (changed into a deletion). An
#: updated row whose changed_at is not this page's ``now`` kept its old one, so it is the
#: same; only the others (changed, or same with a changed_at equal to ``now`` because
#: the clock came back to it) need the old row to tell which.
_MERGE = text(f"""
WITH up AS (
  INSERT INTO source_record AS r (source, stream, source_key, payload, raw_text, problem,
      payload_hash, hash_history, deleted, first_seen, last_seen, changed_at)
  SELECT :source, :stream, s.source_key, CAST(s.payload AS json), s.raw_text, s.problem,
      s.payload_hash, CAST('[["' || s.payload_hash || :history_tail AS json),
      s.deleted, :now, :now, :now
  FROM chub_landing_stage AS s
  ON CONFLICT (source, stream, source_key) DO UPDATE SET
    last_seen = EXCLUDED.last_seen,
    payload_hash = EXCLUDED.payload_hash,
    deleted = CASE WHEN {_SAME} THEN r.deleted ELSE EXCLUDED.deleted END,
    payload = CASE WHEN {_SAME} OR (EXCLUDED.payload IS NULL AND EXCLUDED.deleted)
                   THEN r.payload ELSE EXCLUDED.payload END,
    raw_text = CASE WHEN {_SAME} THEN r.raw_text ELSE EXCLUDED.raw_text END,
    problem = CASE WHEN {_SAME} THEN r.problem ELSE EXCLUDED.problem END,
    changed_at = CASE WHEN {_SAME} THEN r.changed_at ELSE EXCLUDED.changed_at END,
    hash_history = CASE WHEN {_SAME} THEN r.hash_history ELSE (
      SELECT json_agg(h.e ORDER BY h.i) FROM (
        SELECT o.e, o.i FROM json_array_elements(CAST({_ARRAY} AS json))
            WITH ORDINALITY AS o(e, i)
        WHERE o.i > json_array_length(CAST({_ARRAY} AS json)) - {HASH_HISTORY - 1}
        UNION ALL
        SELECT json_build_array(EXCLUDED.payload_hash, CAST(:now_iso AS text)),
            9223372036854775807
      ) AS h) END
  RETURNING r.deleted AS new_deleted,
    -- a row just inserted has no xmax: only an updated one can be anything but new
    CASE WHEN r.xmax = '0' THEN 'n' WHEN r.changed_at <> :now THEN 's' ELSE (
      SELECT CASE WHEN o.payload_hash = r.payload_hash THEN 's'
                  WHEN r.deleted AND NOT o.deleted THEN 'd' ELSE 'c' END
      FROM source_record AS o WHERE o.id = r.id) END AS kind
)
SELECT
  count(*) FILTER (WHERE kind = 'n' OR kind IS NULL),
  count(*) FILTER (WHERE (kind = 'n' OR kind IS NULL) AND new_deleted),
  count(*) FILTER (WHERE kind = 's'),
  count(*) FILTER (WHERE kind IN ('c', 'd')),
  count(*) FILTER (WHERE kind = 'd')
FROM up
""")


class Merged(NamedTuple):
    """What one page did to the stream's rows."""

    new: int
    changed: int
    unchanged: int
    deleted: int


def write_copy(
    conn: Connection,
    source: str,
    stream: str,
    rows: Sequence[tuple[Any, ...]],
    now: datetime,
    *,
    moves_cursor: bool,
) -> Merged:
    """COPY ``rows`` (key, payload JSON, raw text, problem, digest, deleted; keys unique)
    into the session's staging table and merge them into ``source_record``."""
    conn.exec_driver_sql(f"{NO_FLUSH_WAIT}; {STAGE}" if moves_cursor else STAGE)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(_COPY) as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)
    finally:
        cursor.close()
    now_iso = now.isoformat()
    params = {
        "source": source,
        "stream": stream,
        "now": now,
        "now_iso": now_iso,
        # the rest of the first hash-history entry, as json_build_array would write it
        "history_tail": f'", "{now_iso}"]]',
    }
    new, new_deleted, unchanged, changed, changed_deleted = conn.execute(_MERGE, params).one()
    return Merged(new, changed, unchanged, new_deleted + changed_deleted)

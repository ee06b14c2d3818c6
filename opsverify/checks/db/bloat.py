"""Index bloat (PostgreSQL): B-tree leaf pages emptied by updates and deletes, read with pgstattuple."""

from __future__ import annotations

from opsverify.checks import CheckError
from opsverify.checks.database import connection, database_check
from opsverify.checks.db import family, not_measured, rows
from opsverify.checks.host import percent
from opsverify.result import Result, grade, passed, skipped
from opsverify.spec.models.health import Database
from opsverify.spec.units import format_bytes

MIN_SIZE = 1 << 20  # smaller indexes are left out: a few pages say nothing about bloat
DEFAULT_FILLFACTOR = 90.0  # what a freshly built B-tree packs its leaf pages to
SHOWN = 3  # indexes kept in evidence

_PG_INDEXES = """
SELECT n.nspname || '.' || c.relname, n.nspname || '.' || t.relname, pg_relation_size(c.oid),
       s.avg_leaf_density,
       COALESCE((SELECT split_part(o, '=', 2)::float8 FROM unnest(c.reloptions) o WHERE o LIKE 'fillfactor=%'),
                :fillfactor)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am a ON a.oid = c.relam
CROSS JOIN LATERAL pgstatindex(c.oid::regclass) s
WHERE a.amname = 'btree' AND i.indisvalid AND c.relpersistence <> 't'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND pg_relation_size(c.oid) >= :min_size"""


@database_check
def index_bloat(db: Database) -> Result:
    """The most bloated B-tree index (1 - leaf density / fillfactor) against max_index_bloat."""
    if db.max_index_bloat is None and db.warn_max_index_bloat is None:
        return skipped("no max_index_bloat set")
    with connection(db) as conn:
        kind = family(conn)
        if kind != "postgresql":
            return not_measured(db, "index bloat", kind)
        if not rows(conn, "SELECT 1 FROM pg_extension WHERE extname = 'pgstattuple'"):
            raise CheckError(f"index bloat needs the pgstattuple extension in {db.url}: an administrator runs "
                             "CREATE EXTENSION pgstattuple there (opsverify never writes)")
        found = rows(conn, _PG_INDEXES, fillfactor=DEFAULT_FILLFACTOR, min_size=MIN_SIZE)
    indexes = sorted(((max(0.0, 1 - float(density) / float(fill)), name, table, int(size), float(density))
                      for name, table, size, density, fill in found if density == density),  # NaN: empty index
                     reverse=True)
    if not indexes:
        return passed(f"no B-tree index of {format_bytes(MIN_SIZE)} or more in {db.url}", value=0, unit="ratio")
    bloat, name, table, size, density = indexes[0]
    evidence = {"indexes": len(indexes), "worst": [
        {"index": n, "table": t, "bloat": round(b, 4), "size": s, "leaf_density": d}
        for b, n, t, s, d in indexes[:SHOWN]]}
    what = (f"bloat of index {name} on {table} ({format_bytes(size)}, leaf density {density:.0f}%), "
            f"the worst of {len(indexes)}")
    return grade(what, bloat, db.max_index_bloat, db.warn_max_index_bloat, show=percent, unit="ratio",
                 evidence=evidence)

"""Weekly maintenance: dead tuples and statistics age (PostgreSQL), table growth since the previous archived run."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from opsverify.checks import plural, show_seconds
from opsverify.checks.database import connection, database_check
from opsverify.checks.db import dialect_rows, family, not_measured, rows
from opsverify.checks.host import percent
from opsverify.checks.previous import previous, seconds_since
from opsverify.context import RunContext
from opsverify.result import Result, error, failed, grade, passed, skipped, warning
from opsverify.spec.models.health import Database
from opsverify.spec.units import format_bytes

SHOWN = 3  # tables named in a reason

_PG_DEAD = """
SELECT schemaname || '.' || relname, n_dead_tup, n_live_tup FROM pg_stat_user_tables
ORDER BY n_dead_tup DESC, 1 LIMIT 10"""
_PG_ANALYZED = """
SELECT schemaname || '.' || relname,
       EXTRACT(EPOCH FROM clock_timestamp() - GREATEST(last_analyze, last_autoanalyze))::float8,
       n_mod_since_analyze, n_live_tup
FROM pg_stat_user_tables ORDER BY 1"""
_PG_SIZES = "SELECT schemaname || '.' || relname, pg_total_relation_size(relid) FROM pg_stat_user_tables"
_MY_SIZES = """
SELECT TABLE_NAME, DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"""
_SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"


@database_check
def dead_tuples(db: Database) -> Result:
    """The table with the most dead tuples (pg_stat_user_tables) against max_dead_tuples."""
    if db.max_dead_tuples is None and db.warn_max_dead_tuples is None:
        return skipped("no max_dead_tuples set")
    found = dialect_rows(db, {"postgresql": _PG_DEAD}, "dead tuples")
    if isinstance(found, Result):
        return found
    tables = [(name, int(dead), int(live)) for name, dead, live in found]
    if not tables:
        return passed(f"no user tables in {db.url}", value=0, unit="tuples")
    name, dead, live = tables[0]
    return grade(f"dead tuples in {name} (the most of any table; {live} live)", dead, db.max_dead_tuples,
                 db.warn_max_dead_tuples, show=lambda v: f"{v:g}", unit="tuples",
                 evidence={"tables": {n: {"dead": d, "live": lv} for n, d, lv in tables}})


@database_check
def statistics_age(db: Database) -> Result:
    """Tables changed since their last ANALYZE are analyzed within stats_max_age (never analyzed: stale)."""
    if db.stats_max_age is None:
        return skipped("no stats_max_age set")
    tables = dialect_rows(db, {"postgresql": _PG_ANALYZED}, "statistics age")
    if isinstance(tables, Result):
        return tables
    stale = []
    for name, age, changed, live in tables:
        if age is None and (changed or live):
            stale.append(f"{name} never analyzed ({changed} rows changed)")
        elif age is not None and age > db.stats_max_age and changed:
            stale.append(f"{name} analyzed {show_seconds(age)} ago ({changed} rows changed since)")
    evidence = {"tables": len(tables), "stale": stale}
    if stale:
        more = f" and {len(stale) - SHOWN} more" if len(stale) > SHOWN else ""
        return failed(f"{plural(len(stale), 'table')} with statistics older than {db.stats_max_age}: "
                      f"{'; '.join(stale[:SHOWN])}{more}", value=len(stale), limit=str(db.stats_max_age),
                      evidence=evidence)
    return passed(f"all {len(tables)} tables analyzed within {db.stats_max_age} or unchanged since",
                  value=0, limit=str(db.stats_max_age), evidence=evidence)


@database_check
def growth(db: Database, *, context: RunContext | None = None) -> Result:
    """The fastest-growing table since the previous archived run of this check, against max_table_growth."""
    if db.max_table_growth is None and db.warn_max_table_growth is None:
        return skipped("no max_table_growth set")
    with connection(db) as conn:
        sizes, measure = _sizes(conn)
        if measure == "none":
            return not_measured(db, "table sizes", family(conn))
    evidence: dict[str, Any] = {"sizes": sizes, "measure": measure}
    past = previous(context, "sizes")
    if past is None or past.entry["evidence"].get("measure") != measure:
        return warning(f"a first reading: no earlier archived run of this check to compare {len(sizes)} table sizes "
                       "with; they are recorded for the next run", evidence=evidence)
    before = past.entry["evidence"]["sizes"]
    grown = {name: size / before[name] - 1 for name, size in sizes.items() if before.get(name)}
    if not grown:
        return error("no table of the earlier run is left to compare with: the growth cannot be judged",
                     evidence=evidence)
    name = max(grown, key=lambda n: grown[n])
    show = format_bytes if measure == "bytes" else (lambda v: f"{v:g} rows")
    days = seconds_since(context, past) / 86400 if context else 0.0
    what = (f"growth of {name} since the run of {past.started[:10]} ({days:.1f} days ago; "
            f"{show(before[name])} -> {show(sizes[name])}), the fastest of {len(grown)} tables")
    return grade(what, round(grown[name], 4), db.max_table_growth, db.warn_max_table_growth, show=percent,
                 unit="ratio", evidence={**evidence, "growth": {n: round(g, 4) for n, g in grown.items()},
                                         "since": past.run})


def _sizes(conn: Connection) -> tuple[dict[str, int], str]:
    """Each table's size in bytes (PostgreSQL, MySQL/MariaDB, SQLite with dbstat), else its row count."""
    kind = family(conn)
    if kind in ("postgresql", "mysql"):
        return {name: int(size or 0) for name, size in rows(conn, _PG_SIZES if kind == "postgresql" else _MY_SIZES)}, \
            "bytes"
    if kind != "sqlite":
        return {}, "none"
    names = [name for (name,) in rows(conn, _SQLITE_TABLES)]
    try:
        pages = dict(rows(conn, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
        return {name: int(pages.get(name, 0)) for name in names}, "bytes"
    except Exception:  # noqa: BLE001 - SQLite built without the dbstat table: count rows instead
        return {name: int(rows(conn, f'SELECT count(*) FROM "{name}"')[0][0]) for name in names}, "rows"

"""Index bloat on a real PostgreSQL cluster: a B-tree emptied by a mass delete and VACUUM fails until REINDEX."""

from __future__ import annotations

from opsverify.checks.db.bloat import index_bloat
from opsverify.result import Status
from tests.dbstats.helpers import database, pg_admin
from tests.services import MARIADB, need
from tests.support.pg_cluster import PgCluster


def orders(port: int, dbname: str) -> None:
    """A table of 200 000 orders with a 4 MiB primary key index, and pgstattuple installed (test setup only)."""
    with pg_admin(port, dbname) as admin:
        admin.execute("CREATE EXTENSION pgstattuple")
        admin.execute("CREATE TABLE orders (id int PRIMARY KEY, total int)")
        admin.execute("INSERT INTO orders SELECT g, g % 100 FROM generate_series(1, 200000) g")


def test_an_index_emptied_by_deletes_fails_until_reindexed(pg: PgCluster, dbname: str) -> None:
    orders(pg.port, dbname)
    db = database(pg.url(dbname), max_index_bloat="40%", warn_max_index_bloat="20%", timeout="30s")
    fresh = index_bloat(db)
    assert fresh.status is Status.PASSED, fresh.reason
    assert fresh.reason.startswith("bloat of index public.orders_pkey on public.orders (4.3MiB, leaf density 90%), "
                                   "the worst of 1 is "), fresh.reason
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("DELETE FROM orders WHERE id % 10 <> 0")
        admin.execute("VACUUM orders")
    bloated = index_bloat(db)
    assert bloated.status is Status.FAILED
    assert bloated.reason.startswith("bloat of index public.orders_pkey on public.orders (4.3MiB, leaf density ")
    assert bloated.reason.endswith("; limit 40%") and bloated.value > 0.8, bloated.reason
    assert bloated.evidence["worst"][0]["index"] == "public.orders_pkey"
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("REINDEX TABLE orders")
    assert index_bloat(db).reason.startswith("no B-tree index of 1.0MiB or more in ")


def test_without_pgstattuple_the_check_says_what_to_install(pg: PgCluster, dbname: str) -> None:
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("CREATE TABLE t (id int PRIMARY KEY)")
    result = index_bloat(database(pg.url(dbname), max_index_bloat="40%"))
    assert result.status is Status.ERROR
    assert result.reason == (f"index bloat needs the pgstattuple extension in {pg.url(dbname)}: an administrator "
                             "runs CREATE EXTENSION pgstattuple there (opsverify never writes)")


def test_index_bloat_is_skipped_on_mariadb() -> None:
    need("MariaDB", MARIADB)
    db = database(f"mysql+pymysql://root@{MARIADB[0]}:{MARIADB[1]}/mysql", max_index_bloat="40%")
    result = index_bloat(db)
    assert result.status is Status.SKIPPED
    assert result.reason == f"index bloat cannot be measured on MySQL/MariaDB ({db.url})"

"""A drill never creates databases on a production environment's database server unless the item says so."""

from __future__ import annotations

from opsverify.checks.backup.restore import restore_drill
from opsverify.result import Status
from tests.backups.conftest import PG_URL, Shelf, Source, backup, context, throwaways
from tests.support.net import free_port


def production(source: Source, **extra: object) -> object:
    """A production environment whose `databases:` item lives on the machine's PostgreSQL (as localhost)."""
    url = source.url.replace("127.0.0.1", "localhost")
    return context(production=True, databases=[{"name": "main", "url": url}], **extra)


def test_a_drill_into_a_production_database_server_is_refused(shelf: Shelf, pg_source: Source) -> None:
    shelf.put("db-1.dump", pg_source.dump("-Fc").read_bytes())
    item = backup(shelf.glob(), name="pg-prod", restore={"into": f"{PG_URL}/postgres"})
    result = restore_drill(item, context=production(pg_source))
    assert result.status is Status.ERROR
    assert result.reason == ("refused: environment test has production: true, and restore.into is localhost:5432, the "
                             "server of databases item main; a drill creates and loads databases there only with "
                             "restore.allow_production: true")
    assert [name for name in throwaways("pg") if "_pg_prod_" in name] == []


def test_allow_production_lets_the_drill_run_there(shelf: Shelf, pg_source: Source) -> None:
    shelf.put("db-1.dump", pg_source.dump("-Fc").read_bytes())
    item = backup(shelf.glob(), name="pg-prod-ok", restore={"into": f"{PG_URL}/postgres", "allow_production": True,
                                                            "expect_min_rows": {"orders": 500}})
    result = restore_drill(item, context=production(pg_source))
    assert result.status is Status.PASSED, result.reason


def test_another_server_of_a_production_environment_is_a_scratch_server(shelf: Shelf, pg_source: Source) -> None:
    port = free_port()  # nothing listens there: the drill gets past the refusal and fails to connect
    shelf.put("db-1.dump", pg_source.dump("-Fc").read_bytes())
    item = backup(shelf.glob(), name="pg-prod-other",
                  restore={"into": f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"})
    result = restore_drill(item, context=production(pg_source))
    assert result.reason == f"restore drill of db-1.dump: connection refused on 127.0.0.1:{port}"

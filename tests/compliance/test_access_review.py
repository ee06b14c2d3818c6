"""The access review: everyone the SQL query returns must be approved; anyone else fails it by name."""

from __future__ import annotations

import secrets
import sqlite3

import psycopg
import pytest

from opsverify.checks.compliance import access_review
from opsverify.result import Status
from tests.compliance.helpers import context, environment
from tests.services import POSTGRES, need

ROWS = [("ops@example.com", "admin"), ("cto@example.com", "admin"), ("anna@example.org", "customer")]


def _sqlite(tmp_path, rows):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (email TEXT, role TEXT)")
        db.executemany("INSERT INTO users VALUES (?, ?)", rows)
    db.close()
    return path


def _env(url: str, table: str = "users", approved: str = "[ops@example.com, CTO@example.com]"):
    return environment(f"""environment: t
defaults: {{timeout: 3s}}
databases:
  - {{name: app, url: '{url}'}}
compliance:
  access_review:
    database: app
    sql: "SELECT email FROM {table} WHERE role = 'admin'"
    approved: {approved}
""")


def test_only_approved_admins_pass(tmp_path):
    env = _env(f"sqlite:///{_sqlite(tmp_path, ROWS)}")
    result = access_review(env.compliance.access_review, context=context(env, tmp_path))
    assert result.status is Status.PASSED, result
    assert result.reason == "all 2 privileged accounts are approved: cto@example.com, ops@example.com"


def test_an_unapproved_admin_fails_by_name(tmp_path):
    env = _env(f"sqlite:///{_sqlite(tmp_path, ROWS + [('mallory@example.org', 'admin')])}")
    result = access_review(env.compliance.access_review, context=context(env, tmp_path))
    assert result.status is Status.FAILED
    assert result.reason == ("1 privileged account is not approved: mallory@example.org "
                             "(access review on app)")
    assert result.evidence["unapproved"] == ["mallory@example.org"] and result.value == 1


def test_an_approved_person_who_left_is_evidence_not_a_failure(tmp_path):
    env = _env(f"sqlite:///{_sqlite(tmp_path, ROWS[:1])}")
    result = access_review(env.compliance.access_review, context=context(env, tmp_path))
    assert result.status is Status.PASSED
    assert result.evidence["approved_but_not_found"] == ["CTO@example.com"]


def test_a_broken_query_is_an_error_with_the_databases_words(tmp_path):
    env = _env(f"sqlite:///{_sqlite(tmp_path, ROWS)}", table="no_such_table")
    result = access_review(env.compliance.access_review, context=context(env, tmp_path))
    assert result.status is Status.ERROR and "no such table: no_such_table" in result.reason


def test_postgres_review_runs_read_only(tmp_path):
    need("PostgreSQL", POSTGRES)
    schema = f"opsv_review_{secrets.token_hex(4)}"
    with psycopg.connect(host=POSTGRES[0], port=POSTGRES[1], user="postgres", dbname="postgres",
                         autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
        db.execute(f"CREATE TABLE {schema}.users (email text, role text)")
        db.execute(f"INSERT INTO {schema}.users VALUES ('ops@example.com', 'admin'), ('eve@example.org', 'admin')")
        try:
            env = _env("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", table=f"{schema}.users")
            result = access_review(env.compliance.access_review, context=context(env, tmp_path))
            assert result.status is Status.FAILED and "eve@example.org" in result.reason
            writer = environment(f"""environment: t
databases: [{{name: app, url: 'postgresql+psycopg://postgres@127.0.0.1:5432/postgres'}}]
compliance:
  access_review: {{database: app, sql: "DELETE FROM {schema}.users RETURNING email"}}
""")
            refused = access_review(writer.compliance.access_review, context=context(writer, tmp_path))
            assert refused.status is Status.ERROR and "read-only" in refused.reason
            assert db.execute(f"SELECT count(*) FROM {schema}.users").fetchone()[0] == 2
        finally:
            db.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.mark.parametrize("breaks", [["unapproved-admin"]])
def test_the_demo_break_adds_an_unapproved_admin(tmp_path, breaks):
    from opsverify import demo
    from opsverify.spec import load

    with demo.start(tmp_path / "demo", breaks) as running:
        env = load(running.env_path)
        result = access_review(env.compliance.access_review, context=context(env, tmp_path))
    assert result.status is Status.FAILED and "anna.devries@example.org" in result.reason, result

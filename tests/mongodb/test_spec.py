"""The `mongodb:` section loads; a MongoDB URL under `databases:` and bad values are errors with file, line and key."""

from __future__ import annotations

import pytest

from tests.spec.helpers import at, fails, ok, one

FULL = """\
    environment: production
    mongodb:
      - name: bookings
        url: mongodb://monitor:${MONGO_PASSWORD}@db1.internal:27017,db2.internal:27017/bookings?authSource=admin&replicaSet=rs0
        max_latency: 100ms
        warn_max_latency: 50ms
        max_connections_used: 80%
        warn_max_connections_used: 60%
        max_replication_lag: 30s
        warn_max_replication_lag: 10s
        slow_op: 5s
        max_slow_ops: 0
        warn_max_slow_ops: 0
        expect_collections: [bookings, users]
    """


def test_a_full_section_loads_with_its_units() -> None:
    env = ok(FULL, {"MONGO_PASSWORD": "m0ng0-s3cret"})
    (db,) = env.mongodb
    assert (db.name, str(db.max_latency), str(db.max_connections_used), float(db.max_connections_used)) == \
        ("bookings", "100ms", "80%", 0.8)
    assert (float(db.max_replication_lag), float(db.slow_op), db.max_slow_ops) == (30.0, 5.0, 0)
    assert db.expect_collections == ("bookings", "users")
    assert db.url.reveal().startswith("mongodb://monitor:m0ng0-s3cret@db1.internal:27017,db2.internal:27017/")


def test_a_replica_set_url_prints_with_its_password_masked_and_its_auth_source_kept() -> None:
    """Several hosts in one URL, authSource is a database name (not a secret)."""
    db = ok(FULL, {"MONGO_PASSWORD": "m0ng0-s3cret"}).mongodb[0]
    assert str(db.url) == ("mongodb://monitor:***@db1.internal:27017,db2.internal:27017/bookings"
                           "?authSource=admin&replicaSet=rs0")
    assert "m0ng0-s3cret" not in repr(db)


def test_defaults() -> None:
    db = ok("environment: x\nmongodb: [{name: m, url: 'mongodb+srv://cluster0.example.net/'}]\n").mongodb[0]
    assert (str(db.slow_op), db.max_slow_ops, db.max_latency, db.expect_collections) == ("5s", None, None, ())


@pytest.mark.parametrize("url", ["mongodb://monitor:pw@db1:27017/app", "mongodb+srv://cluster0.example.net/app"])
def test_a_mongodb_url_under_databases_points_to_the_mongodb_section(url: str) -> None:
    problem = one(f"environment: x\ndatabases:\n  - name: main\n    url: '{url}'\n")
    at(problem, 4, "databases[0].url", "is a MongoDB URL", "put it under the `mongodb:` section")
    assert ":pw@" not in problem.message


@pytest.mark.parametrize(("key", "value", "words"), [
    ("max_latency", "fast", "'fast' is not a duration"),
    ("max_connections_used", "1.5", "between 0 and 1"),
    ("max_replication_lag", "-3s", "'-3s' is not a duration"),
    ("slow_op", "0s", "more than 0"),
    ("max_slow_ops", "-1", "at least 0"),
    ("expect_collections", "bookings", "a list"),
    ("maxslow_ops", "1", "did you mean 'max_slow_ops'?"),
])
def test_bad_values_name_the_line_and_key(key: str, value: str, words: str) -> None:
    problem = one(f"environment: x\nmongodb:\n  - name: m\n    url: mongodb://db1/app\n    {key}: {value}\n")
    at(problem, 5, f"mongodb[0].{key}", words)


def test_a_sql_url_in_the_mongodb_section_is_refused() -> None:
    problem = one("environment: x\nmongodb:\n  - name: m\n    url: postgresql://u:pw@db/app\n")
    at(problem, 4, "mongodb[0].url", "postgresql://u:***@db/app is not a mongodb:// or mongodb+srv:// URL",
       "SQL databases go under `databases:`")


def test_expect_collections_needs_a_database_in_the_url() -> None:
    problem = one("environment: x\nmongodb:\n  - name: m\n    url: mongodb://db1:27017/?replicaSet=rs0\n"
                  "    expect_collections: [users]\n")
    at(problem, 5, "mongodb[0].expect_collections", "names no database", "mongodb://host:27017/bookings")


def test_duplicate_names_are_found_in_the_section() -> None:
    err = fails("environment: x\nmongodb:\n  - {name: m, url: 'mongodb://a/x'}\n  - {name: m, url: 'mongodb://b/x'}\n")
    at(err.problems[0], 4, "mongodb[1].name", "duplicate name 'm'")

"""The healthy demo's files: database, backup history, logs and the rendered environment file."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import sqlite3
import subprocess
import time

import requests
import yaml

from opsverify.demo import Demo
from opsverify.demo.envfile import PLACEHOLDERS, template
from opsverify.spec import load
from tests.demo import probes

NAME = re.compile(r"^app-(\d{4}-\d\d-\d\d)\.sql\.gz$")


def test_database_tables_and_rows(demo: Demo) -> None:
    """users (with two admins), products and a few hundred recent orders."""
    with sqlite3.connect(demo.state_dir / "app.db") as db:
        assert db.execute("SELECT email FROM users WHERE role = 'admin' ORDER BY id").fetchall() == [
            ("ops@example.com",), ("cto@example.com",)]
        assert db.execute("SELECT count(*) FROM products").fetchone()[0] == 12
        query = "SELECT count(*), max(created_at), min(created_at) FROM orders"
        count, newest, oldest = db.execute(query).fetchone()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert 300 <= count <= 1000
    assert dt.timedelta(hours=1) < now - dt.datetime.fromisoformat(newest) < dt.timedelta(hours=3)
    assert now - dt.datetime.fromisoformat(oldest) > dt.timedelta(days=30)


def test_backup_history_is_grandfather_father_son(demo: Demo) -> None:
    """8 dailies ending an hour ago, weeklies, 11 monthlies, yearlies; names match their mtimes."""
    files = probes.backups(demo)
    stamps = [dt.datetime.fromtimestamp(path.stat().st_mtime) for path in files]
    for path, stamp in zip(files, stamps):
        assert NAME.match(path.name)[1] == stamp.date().isoformat()
    now = dt.datetime.now()
    assert dt.timedelta(minutes=30) < now - stamps[0] < dt.timedelta(hours=2)
    assert sum(now - stamp < dt.timedelta(days=8) for stamp in stamps) == 8
    weeks = {stamp.isocalendar()[:2] for stamp in stamps if now - stamp < dt.timedelta(days=43)}
    assert len(weeks) >= 7
    assert probes.months_missing(files, months=12) == []
    yearlies = stamps[-2:]
    assert [(stamp.month, stamp.day) for stamp in yearlies] == [(1, 1), (1, 1)]
    assert yearlies[0].year == yearlies[1].year + 1
    sizes = [path.stat().st_size for path in files]
    assert max(sizes) - min(sizes) < 0.01 * max(sizes)


def test_backups_are_whole_dumps_that_restore(demo: Demo) -> None:
    """Every backup is a whole gzip of an SQL dump ending with its trailer; the newest restores."""
    files = probes.backups(demo)
    assert all(probes.gzip_ok(path) for path in files)
    result = subprocess.run(["gzip", "-t", *map(str, files)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    sql = gzip.decompress(files[0].read_bytes()).decode()
    assert sql.startswith("BEGIN TRANSACTION;")
    assert sql.splitlines()[-1].startswith("-- Dump completed on ")
    restored = sqlite3.connect(":memory:")
    restored.executescript(sql)
    with sqlite3.connect(demo.state_dir / "app.db") as db:
        for table in ("users", "products", "orders"):
            query = f"SELECT count(*) FROM {table}"
            assert restored.execute(query).fetchone() == db.execute(query).fetchone()


def test_sidecars_in_sha256sum_format(demo: Demo) -> None:
    """Each backup has FILE.sha256 that `sha256sum -c` accepts."""
    files = probes.backups(demo)
    assert all(probes.sidecar_ok(path) for path in files)
    sidecars = [path.name + ".sha256" for path in files]
    result = subprocess.run(["sha256sum", "-c", *sidecars], cwd=files[0].parent,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_backup_log_has_a_line_per_backup(demo: Demo) -> None:
    """backup.log says `backup completed: NAME` at the time each backup's file was written."""
    text = (demo.state_dir / "logs" / "backup.log").read_text()
    completed = dict((name, stamp) for stamp, name in
                     re.findall(r"^\[(.{19})\] backup completed: (\S+)", text, re.MULTILINE))
    files = probes.backups(demo)
    assert set(completed) == {path.name for path in files}
    for path in files:
        written = dt.datetime.fromtimestamp(int(path.stat().st_mtime))
        assert dt.datetime.fromisoformat(completed[path.name]) == written


def test_app_log_is_laravel_style_with_a_few_errors(demo: Demo) -> None:
    """app.log spans the last days in Laravel's format, with a handful of errors (3 in the last 24 h)."""
    lines = (demo.state_dir / "logs" / "app.log").read_text().splitlines()
    entries = [probes.LOG_LINE.match(line) for line in lines]
    stamps = [dt.datetime.fromisoformat(match[1]) for match in entries if match]
    now = dt.datetime.now()
    assert stamps == sorted(stamps) and stamps[-1] <= now and now - stamps[0] > dt.timedelta(days=3)
    assert probes.errors_in_last(demo) == 3
    error_entries = sum(1 for match in entries if match and match[2] == "ERROR")
    mentions = sum(1 for line in lines if re.search("error|critical", line, re.IGNORECASE))
    assert mentions == error_entries  # stack-trace lines never match a naive ERROR pattern


def test_environment_file_is_concrete_yaml(demo: Demo) -> None:
    """demo.yml has no placeholder left, parses, and points at this demo's ports and files."""
    text = demo.env_path.read_text()
    assert "${" not in text
    env = yaml.safe_load(text)
    assert env["environment"] == "demo"
    endpoints = {item["name"]: item for item in env["endpoints"]}
    assert endpoints["api-health"]["url"] == f"{demo.https_url}/api/health?detailed=true"
    assert endpoints["lb-health"]["url"] == f"{demo.http_url}/api/health"
    assert env["tls"][0]["port"] == demo.https_port
    assert env["databases"][0]["url"] == f"sqlite:///{demo.state_dir}/app.db"
    assert env["defaults"]["ca_file"] == str(demo.ca_file)
    backup = env["backups"][0]
    assert backup["path"] == f"{demo.state_dir}/backups/app-*.sql.gz"
    assert (demo.state_dir / "logs" / "backup.log").samefile(backup["log"]["path"])
    assert (demo.state_dir / "scratch").is_dir()


def test_environment_file_matches_the_app(demo: Demo) -> None:
    """What demo.yml expects is what the demo serves: contains, JSON and timing of every endpoint."""
    env = yaml.safe_load(demo.env_path.read_text())
    for item in env["endpoints"]:
        started = time.perf_counter()
        response = requests.get(item["url"], verify=env["defaults"]["ca_file"], timeout=5)
        assert response.status_code == item["expect"]["status"], item["name"]
        assert item["expect"]["contains"] in response.text, item["name"]
        for key, value in item["expect"].get("json", {}).items():
            found = response.json()
            for part in key.split("."):
                found = found[part]
            assert found == value, (item["name"], key)
        assert time.perf_counter() - started < 0.5


def test_template_uses_exactly_the_demo_placeholders() -> None:
    """Every ${...} in the template is a demo placeholder, and every placeholder is used."""
    used = set(re.findall(r"\$\{([^}]*)\}", template()))
    assert used == set(PLACEHOLDERS)


def test_environment_file_passes_the_loader(demo: Demo) -> None:
    """The suite's own loader accepts demo.yml: only contract keys, valid units and values."""
    environment = load(demo.env_path, environ={})
    assert environment.environment == "demo"
    assert [item.name for item in environment.endpoints] == ["home", "api-health", "lb-health", "products"]
    assert environment.backups[0].retention.yearly == 3 and environment.hosts[0].logs[0].max == 10

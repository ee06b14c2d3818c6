"""Configuration backups verified by parsing them (json, yaml, ini), here and on a host; an unverifiable format is an
error, never a skip, unless the item says format: opaque."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
from typing import Any

from opsverify.checks.backup.integrity import integrity
from opsverify.result import Result, Status
from tests.backups.conftest import Shelf, backup, context

SITE_CONFIG = {"db_name": "_1bd3e0294da19198", "db_password": "kept-in-the-backup", "encryption_key": "q0f…",
               "host_name": "https://dev.veganisme.net", "maintenance_mode": 0}
_LATER = itertools.count()


def newest(shelf: Shelf, name: str, data: bytes, fmt: str) -> Result:
    """Integrity of the set once this file is its newest."""
    shelf.put(name, data, dt.timedelta(hours=1) - dt.timedelta(minutes=next(_LATER)))
    return integrity(backup(shelf.glob("*"), format=fmt))


def test_a_frappe_site_config_backup_is_parsed_and_a_cut_one_fails(shelf: Shelf) -> None:
    whole = json.dumps(SITE_CONFIG, indent=1).encode()
    result = newest(shelf, "20261207_site_config_backup.json", whole, "json")
    assert result.status is Status.PASSED, result.reason
    assert result.reason == f"20261207_site_config_backup.json read whole: JSON parsed whole ({len(whole)}B)"
    cut = newest(shelf, "20261208_site_config_backup.json", whole[:len(whole) // 2], "json")
    assert cut.status is Status.FAILED
    assert cut.reason.startswith("20261208_site_config_backup.json: not valid JSON: "), cut.reason
    zipped = newest(shelf, "20261209_site_config_backup.json.gz", gzip.compress(whole), "json")
    assert zipped.status is Status.PASSED and zipped.reason.startswith("20261209_site_config_backup.json.gz read "
                                                                       "whole: gzip OK; JSON parsed whole")


def test_yaml_and_ini_backups_are_parsed(shelf: Shelf) -> None:
    good = b"services:\n  web:\n    image: app:1.4\n    ports: ['80:3000']\n"
    assert newest(shelf, "compose-1.yml", good, "yaml").reason.startswith("compose-1.yml read whole: YAML parsed whole")
    broken = newest(shelf, "compose-2.yml", good + b"  db: [unclosed\n", "yaml")
    assert broken.status is Status.FAILED
    assert broken.reason.startswith("compose-2.yml: not valid YAML: "), broken.reason
    ini = b"[www]\nuser = www-data\npm.max_children = 20\n"
    assert newest(shelf, "php-fpm-1.conf", ini, "ini").status is Status.PASSED
    bad = newest(shelf, "php-fpm-2.conf", b"user = www-data\n" + ini, "ini")
    assert bad.status is Status.FAILED
    assert bad.reason.startswith("php-fpm-2.conf: not a valid ini file: File contains no section headers."), bad.reason


def test_text_with_no_declared_structure_is_an_error_unless_it_is_declared_opaque(shelf: Shelf) -> None:
    text = json.dumps(SITE_CONFIG).encode()
    unknown = newest(shelf, "site-1.json", text, "file")
    assert unknown.status is Status.ERROR
    assert unknown.reason == ("site-1.json: it is text, which has no structure opsverify can check; declare its format "
                              "(json, yaml, ini, …) or format: opaque")
    opaque = newest(shelf, "notes-1.txt", b"free text kept as it is\n", "opaque")
    assert opaque.status is Status.SKIPPED
    assert opaque.reason == ("notes-1.txt: format: opaque, its content is not judged (it is text, which has no "
                             "structure opsverify can check)")


def test_a_json_backup_on_a_host_is_parsed_too(shelf: Shelf, target: str) -> None:
    shelf.put("site-1.json", json.dumps(SITE_CONFIG).encode()[:40], dt.timedelta(hours=1))
    item = backup(shelf.glob("site-*.json"), host="db1", format="json")
    env = context(hosts=[{"name": "db1", "target": target, "timeout": "10s"}], backups=[])
    result = integrity(item, context=env)
    assert result.status is Status.FAILED
    assert result.reason.startswith("site-1.json on db1: not valid JSON: "), result.reason

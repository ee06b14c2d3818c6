"""Lockfile parsing and OSV matching: versions, ranges, severities (CVSS v3)."""

from __future__ import annotations

import json

import pytest

from opsverify.checks import CheckError
from opsverify.checks.security.lockfiles import Package, parse
from opsverify.checks.security.osv import Advisory, cvss3, severity_of
from tests.security.osv_records import record


def test_composer_lock_packages_and_dev_branches() -> None:
    lock = {"packages": [{"name": "laravel/framework", "version": "v10.48.2"}],
            "packages-dev": [{"name": "acme/tools", "version": "dev-main"}]}
    assert parse("/app/composer.lock", json.dumps(lock).encode()) == [
        Package("Packagist", "laravel/framework", "10.48.2"),
        Package("Packagist", "acme/tools", "dev-main", "a development branch (dev-main)")]


def test_package_lock_v3_nested_and_linked() -> None:
    lock = {"lockfileVersion": 3, "packages": {
        "": {"name": "shop"}, "node_modules/lodash": {"version": "4.17.20"},
        "node_modules/@scope/ui": {"version": "1.2.0"}, "node_modules/a/node_modules/lodash": {"version": "4.17.21"},
        "node_modules/local": {"link": True, "resolved": "packages/local"},
        "node_modules/forked": {"version": "git+ssh://git@github.com/x/forked.git#abc"}}}
    assert parse("package-lock.json", json.dumps(lock).encode()) == [
        Package("npm", "lodash", "4.17.20"), Package("npm", "@scope/ui", "1.2.0"), Package("npm", "lodash", "4.17.21"),
        Package("npm", "forked", "git+ssh://git@github.com/x/forked.git#abc",
                "not a registry version (git+ssh://git@github.com/x/forked.git#abc)")]


def test_package_lock_v1() -> None:
    lock = {"lockfileVersion": 1, "dependencies": {"express": {"version": "4.17.1", "dependencies": {
        "qs": {"version": "6.7.0"}}}}}
    assert parse("package-lock.json", json.dumps(lock).encode()) == [Package("npm", "express", "4.17.1"),
                                                                     Package("npm", "qs", "6.7.0")]


def test_requirements_txt_pins_and_what_cannot_be_checked() -> None:
    text = b"""# production
Django==4.2.1 \\
    --hash=sha256:abc
requests[socks]==2.31.0 ; python_version >= "3.8"
celery>=5
-r base.txt
-e git+https://deploy:s3cret@git.example.com/lib.git#egg=shoplib
--index-url https://user:pw@pypi.example.com/simple
"""
    packages = parse("requirements.txt", text)
    assert packages == [Package("PyPI", "Django", "4.2.1"), Package("PyPI", "requests", "2.31.0"),
                        Package("PyPI", "celery", None, "not pinned to one version (>=5)"),
                        Package("PyPI", "-r base.txt", None, "an included file is not read"),
                        Package("PyPI", "shoplib", None, "an editable or URL requirement")]
    assert "s3cret" not in repr(packages) and "pw@" not in repr(packages)


def test_poetry_lock() -> None:
    text = b'[[package]]\nname = "Jinja2"\nversion = "3.1.2"\n\n[[package]]\nname = "mylib"\nversion = "0.1"\n' \
           b'[package.source]\ntype = "git"\nurl = "https://example.com/mylib.git"\n'
    assert parse("poetry.lock", text) == [Package("PyPI", "Jinja2", "3.1.2"),
                                          Package("PyPI", "mylib", "0.1", "installed from a git source")]


def test_unknown_and_broken_lockfiles_are_check_errors() -> None:
    with pytest.raises(CheckError, match="yarn.lock is not a lockfile opsverify reads"):
        parse("/app/yarn.lock", b"")
    with pytest.raises(CheckError, match="composer.lock cannot be parsed"):
        parse("composer.lock", b"{not json")


@pytest.mark.parametrize(("version", "affected"), [
    ("4.17.20", True), ("4.17.21", False), ("4.17.21-beta.1", True), ("3.0.0", True), ("5.0.0", False)])
def test_ranges_are_evaluated_in_version_order(version: str, affected: bool) -> None:
    advisory = Advisory.of(record("GHSA-35jh-r3h4-6jhm", "npm", "lodash", fixed="4.17.21"))
    assert advisory.affects(Package("npm", "lodash", version)) is affected


def test_listed_versions_last_affected_and_name_normalisation() -> None:
    data = record("TEST-1", "PyPI", "Flask_Login", fixed=None, last_affected="0.6.2")
    data["affected"][0]["versions"] = ["0.7.0"]
    advisory = Advisory.of(data)
    assert advisory.affects(Package("PyPI", "flask-login", "0.6.2"))
    assert not advisory.affects(Package("PyPI", "Flask-Login", "0.6.3"))
    assert advisory.affects(Package("PyPI", "flask.login", "0.7.0"))
    assert not advisory.affects(Package("npm", "flask-login", "0.6.2"))


def test_the_lowest_fix_above_the_version_is_named() -> None:
    data = record("TEST-2", "Packagist", "laravel/framework", fixed="9.52.16")
    data["affected"][0]["ranges"][0]["events"] += [{"introduced": "10.0.0"}, {"fixed": "10.48.4"}]
    advisory = Advisory.of(data)
    assert advisory.affects(Package("Packagist", "laravel/framework", "10.48.2"))
    assert advisory.fixed_in(Package("Packagist", "laravel/framework", "10.48.2")) == "10.48.4"
    assert not advisory.affects(Package("Packagist", "laravel/framework", "10.48.4"))


def test_severity_from_the_database_word_else_the_cvss_vector() -> None:
    assert severity_of({"database_specific": {"severity": "MODERATE"}}) == "medium"
    assert severity_of({"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}) \
        == "critical"
    assert severity_of({"severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N"}]}) is None
    assert cvss3("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N") == 6.4
    assert cvss3("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H") == 7.2
    assert cvss3("not a vector") is None

"""Dependency freshness end to end: real lockfiles against a loopback server shaped like npm, Packagist and PyPI.

A package whose registry did not answer is never counted as up to date: the result is `error`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from opsverify.checks.security import Audit, freshness_items
from opsverify.checks.security.outdated import freshness
from opsverify.result import Result, Status
from opsverify.spec.models.environment import Environment
from opsverify.spec.models.security import DependencyAudit
from tests.security.conftest import security
from tests.spec.helpers import at, one
from tests.support.http_server import HttpServer, Reply, Request
from tests.support.net import free_port

NPM_LOCK = {"name": "shop", "lockfileVersion": 3, "requires": True, "packages": {
    "": {"name": "shop", "dependencies": {"express": "^4.18.2", "lodash": "^4.17.20", "@babel/core": "^7.24.0"}},
    "node_modules/express": {"version": "4.18.2"},
    "node_modules/lodash": {"version": "4.17.20"},
    "node_modules/@babel/core": {"version": "7.24.0", "dev": True},
    "node_modules/qs": {"version": "6.14.0"}}}
NPM = {"express": ["4.18.2", "4.21.2", "5.1.0"], "lodash": ["4.17.20", "4.17.21"], "@babel/core": ["7.24.0", "7.28.0"],
       "qs": ["6.13.0", "6.14.0"]}
COMPOSER_LOCK = {"packages": [{"name": "laravel/framework", "version": "v10.48.2"},
                              {"name": "monolog/monolog", "version": "3.9.0"}],
                 "packages-dev": [{"name": "phpunit/phpunit", "version": "10.5.0"}]}
PACKAGIST = {"laravel/framework": ["v11.0.0-RC1", "v11.0.0-beta.2", "v10.48.2", "v10.0.0"],  # newest first
             "monolog/monolog": ["3.9.0", "3.8.1"], "phpunit/phpunit": ["11.0.0-dev", "10.5.0"]}


@dataclass
class Registry:
    """What the loopback registry knows: per ecosystem, package -> releases (the last is npm's latest)."""

    server: HttpServer
    npm: dict[str, list[str]] = field(default_factory=lambda: dict(NPM))
    packagist: dict[str, list[str]] = field(default_factory=lambda: dict(PACKAGIST))
    pypi: dict[str, str] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)  # package name -> seconds before answering
    busy_until: float = 0.0  # when the last delayed answer is written (monotonic clock)

    @property
    def urls(self) -> dict[str, str]:
        """The `registries:` map pointing every ecosystem at this server."""
        return {ecosystem: self.server.base_url for ecosystem in ("npm", "Packagist", "PyPI")}

    def answer(self, request: Request) -> Reply:
        """The registry-shaped document for a path, or 404."""
        path = unquote(request.path.split("?", 1)[0])
        if path.startswith("/p2/") and path.endswith(".json"):
            name = path[len("/p2/"):-len(".json")]
            body = self._packagist(name) if name in self.packagist else None
        elif path.startswith("/pypi/") and path.endswith("/json"):
            name = path.split("/")[2]
            body = {"info": {"name": name, "version": self.pypi[name]}, "releases": {}, "urls": []} \
                if name in self.pypi else None
        else:
            name = path[1:]
            body = self._npm(name) if name in self.npm else None
        delay = self.delay.get(name, 0.0)
        self.busy_until = max(self.busy_until, time.monotonic() + delay)
        return Reply(200, body, delay=delay) if body else Reply(404, {"error": "Not found"})

    def _npm(self, name: str) -> dict[str, Any]:
        """An abbreviated packument (application/vnd.npm.install-v1+json)."""
        versions = self.npm[name]
        return {"name": name, "modified": "2025-06-01T00:00:00.000Z", "dist-tags": {"latest": versions[-1]},
                "versions": {v: {"name": name, "version": v, "dist": {"tarball": f"https://x/{name}-{v}.tgz",
                                                                      "shasum": "0" * 40}} for v in versions}}

    def _packagist(self, name: str) -> dict[str, Any]:
        """Composer v2 metadata, minified: the first release in full, the others only what changes."""
        versions = self.packagist[name]
        full = {"name": name, "description": "a package", "version": versions[0], "version_normalized": versions[0],
                "type": "library"}
        return {"minified": "composer/2.0", "packages": {name: [full] + [{"version": v, "version_normalized": v}
                                                                          for v in versions[1:]]}}


@pytest.fixture
def registry() -> Iterator[Registry]:
    """A loopback registry server answering npm, Packagist and PyPI paths from the test's dicts."""
    server = HttpServer()
    reg = Registry(server)
    server.fallback = reg.answer
    with server:
        yield reg
        time.sleep(max(reg.busy_until - time.monotonic(), 0) + 0.05)  # late answers fail inside the test's capture


def lockfile(folder: Path, name: str, content: Any) -> Path:
    """A lockfile written into folder (dicts as JSON)."""
    path = folder / name
    path.write_text(json.dumps(content) if isinstance(content, dict) else content)
    return path


def fresh(lock: Path, registries: dict[str, str], **fields: Any) -> Result:
    """Run the freshness check on one lockfile (timeout 2s unless given)."""
    entry = DependencyAudit.model_validate({"lockfile": str(lock), "registries": registries, "timeout": "2s",
                                            **fields})
    return freshness(Audit(security(), entry))


def test_too_many_packages_behind_fails_naming_them(tmp_path: Path, registry: Registry) -> None:
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    result = fresh(lock, registry.urls, max_outdated=2)
    assert result.status is Status.FAILED
    assert result.reason == (f"3 packages behind the registry in {lock} (limit 2): express 4.18.2 -> 5.1.0 (major), "
                             "lodash 4.17.20 -> 4.17.21, @babel/core 7.24.0 -> 7.28.0")
    assert (result.value, result.limit, result.evidence["checked"]) == (3, "2", 4)


def test_packages_of_a_yarn_lock_behind_the_registry_fail(tmp_path: Path, registry: Registry) -> None:
    lock = lockfile(tmp_path, "yarn.lock", '"@babel/core@^7.24.0":\n  version "7.24.0"\n\nexpress@^4.18.2:\n'
                                           '  version "4.18.2"\n\nqs@^6.14.0:\n  version "6.14.0"\n')
    result = fresh(lock, registry.urls, max_outdated=1)
    assert result.status is Status.FAILED
    assert result.reason == (f"2 packages behind the registry in {lock} (limit 1): express 4.18.2 -> 5.1.0 (major), "
                             "@babel/core 7.24.0 -> 7.28.0")


def test_within_the_limit_it_passes_listing_what_is_behind(tmp_path: Path, registry: Registry) -> None:
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    result = fresh(lock, registry.urls, max_outdated=5, max_major_behind=1)
    assert (result.status, result.reason) == (Status.PASSED, (
        f"3 packages behind the registry in {lock} (limit 5; 1 a major version or more behind, limit 1): "
        "express 4.18.2 -> 5.1.0 (major), lodash 4.17.20 -> 4.17.21, @babel/core 7.24.0 -> 7.28.0"))


def test_a_major_version_behind_fails_on_its_own_limit(tmp_path: Path, registry: Registry) -> None:
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    result = fresh(lock, registry.urls, max_major_behind=0)
    assert (result.status, result.reason) == (Status.FAILED, f"1 package a major version or more behind the registry "
                                                             f"in {lock} (limit 0): express 4.18.2 -> 5.1.0 (major)")


def test_both_limits_exceeded_say_so_once(tmp_path: Path, registry: Registry) -> None:
    registry.npm["lodash"] = ["4.17.20", "5.0.0", "6.1.0"]
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    result = fresh(lock, registry.urls, max_outdated=1, max_major_behind=1)
    assert result.status is Status.FAILED
    assert result.reason == (f"3 packages behind the registry in {lock} (limit 1): lodash 4.17.20 -> 6.1.0 (2 majors), "
                             "express 4.18.2 -> 5.1.0 (major), @babel/core 7.24.0 -> 7.28.0; 2 of them a major version "
                             "or more behind (limit 1)")


def test_over_the_warning_level_is_a_warning(tmp_path: Path, registry: Registry) -> None:
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    result = fresh(lock, registry.urls, max_outdated=10, warn_max_outdated=2)
    assert (result.status, result.reason) == (Status.WARNING, (
        f"3 packages behind the registry in {lock} (warning level 2): express 4.18.2 -> 5.1.0 (major), "
        "lodash 4.17.20 -> 4.17.21, @babel/core 7.24.0 -> 7.28.0"))


def test_a_lockfile_at_the_latest_passes(tmp_path: Path, registry: Registry) -> None:
    registry.npm.update(express=["4.18.2"], lodash=["4.17.20"], **{"@babel/core": ["7.24.0"]})
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    result = fresh(lock, registry.urls, max_outdated=0)
    assert (result.status, result.reason) == (Status.PASSED, f"all 4 packages of {lock} at the registry's latest")


def test_npm_is_asked_for_the_abbreviated_document_with_scoped_names_encoded(tmp_path: Path,
                                                                               registry: Registry) -> None:
    fresh(lockfile(tmp_path, "package-lock.json", NPM_LOCK), registry.urls, max_outdated=9)
    paths = {r.path: r.headers for r in registry.server.requests}
    assert sorted(paths) == ["/@babel%2Fcore", "/express", "/lodash", "/qs"]
    assert all(h["Accept"].startswith("application/vnd.npm.install-v1+json") for h in paths.values())
    assert all(h["User-Agent"].startswith("opsverify/") for h in paths.values())


def test_packagist_counts_the_newest_stable_release_only(tmp_path: Path, registry: Registry) -> None:
    """v11.0.0-RC1, v11.0.0-beta.2 and 11.0.0-dev are no newer release: the lockfile is at the latest."""
    lock = lockfile(tmp_path, "composer.lock", COMPOSER_LOCK)
    result = fresh(lock, registry.urls, max_outdated=0)
    assert (result.status, result.reason) == (Status.PASSED, f"all 3 packages of {lock} at the registry's latest")
    assert sorted(r.path for r in registry.server.requests) == [
        "/p2/laravel/framework.json", "/p2/monolog/monolog.json", "/p2/phpunit/phpunit.json"]


def test_packagist_a_stable_release_behind_fails(tmp_path: Path, registry: Registry) -> None:
    registry.packagist["laravel/framework"] = ["v11.9.2", "v11.0.0-RC1", "v10.48.2"]
    lock = lockfile(tmp_path, "composer.lock", COMPOSER_LOCK)
    result = fresh(lock, registry.urls, max_major_behind=0)
    assert (result.status, result.reason) == (Status.FAILED, f"1 package a major version or more behind the registry "
                                                             f"in {lock} (limit 0): laravel/framework 10.48.2 -> "
                                                             "11.9.2 (major)")


def test_pypi_versions_compare_by_pep_440(tmp_path: Path, registry: Registry) -> None:
    """2.32.10 is after 2.32.4, 1.0.post1 after 1.0, and a locked 3.1.0rc1 is behind 3.1.0."""
    registry.pypi.update({"requests": "2.32.10", "shoplib": "1.0.post1", "werkzeug": "3.1.0", "flask": "3.1.1"})
    lock = lockfile(tmp_path, "requirements.txt", "requests==2.32.4\nshoplib==1.0\nWerkzeug==3.1.0rc1\n"
                                                  "Flask==3.1.1\n")
    result = fresh(lock, registry.urls, max_outdated=2)
    assert (result.status, result.reason) == (Status.FAILED, (
        f"3 packages behind the registry in {lock} (limit 2): requests 2.32.4 -> 2.32.10, shoplib 1.0 -> 1.0.post1, "
        "Werkzeug 3.1.0rc1 -> 3.1.0"))
    assert "/pypi/werkzeug/json" in [r.path for r in registry.server.requests]  # PEP 503 name


def test_a_registry_that_is_down_checks_nothing(tmp_path: Path) -> None:
    port = free_port()
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    result = fresh(lock, {"npm": f"http://127.0.0.1:{port}"}, max_outdated=5)
    assert result.status is Status.ERROR
    assert result.reason == (f"4 of 4 packages not checked (express, lodash, @babel/core, …): the npm registry: "
                             f"connection refused on 127.0.0.1:{port} (4)")


def test_a_package_the_registry_does_not_know_is_not_checked(tmp_path: Path, registry: Registry) -> None:
    del registry.npm["qs"]
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    result = fresh(lock, registry.urls, max_outdated=5)
    assert (result.status, result.reason) == (Status.ERROR, "1 of 4 packages not checked (qs): not on the npm "
                                                            "registry; 3 packages behind the registry among the rest")


def test_a_slow_answer_beyond_the_timeout_is_not_checked(tmp_path: Path, registry: Registry) -> None:
    registry.delay["lodash"] = 1.0
    registry.npm.update(express=["4.18.2"], **{"@babel/core": ["7.24.0"]})
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    started = time.perf_counter()
    result = fresh(lock, registry.urls, max_outdated=5, timeout="500ms")
    assert time.perf_counter() - started < 0.95
    assert (result.status, result.reason) == (Status.ERROR, "1 of 4 packages not checked (lodash): the npm registry: "
                                                            "no answer within 500ms")


def test_a_limit_exceeded_still_fails_when_some_packages_were_not_checked(tmp_path: Path, registry: Registry) -> None:
    lock = lockfile(tmp_path, "package-lock.json", {**NPM_LOCK, "packages": {
        **NPM_LOCK["packages"], "node_modules/mylib": {"version": "git+ssh://git@github.com/shop/mylib.git#abc"}}})
    result = fresh(lock, registry.urls, max_major_behind=0)
    assert result.status is Status.FAILED
    assert result.reason.endswith("express 4.18.2 -> 5.1.0 (major); 1 of 5 packages not checked (mylib): not a "
                                  "registry version")


def test_a_dead_registry_is_given_up_on_after_a_few_timeouts(tmp_path: Path, registry: Registry) -> None:
    names = [f"pkg{i}" for i in range(60)]
    registry.npm.update({n: ["1.0.0"] for n in names})
    registry.delay.update({n: 1.0 for n in names})
    lock = lockfile(tmp_path, "package-lock.json", {"lockfileVersion": 3, "packages": {
        f"node_modules/{n}": {"version": "1.0.0"} for n in names}})
    started = time.perf_counter()
    result = fresh(lock, registry.urls, max_outdated=5, timeout="300ms")
    assert time.perf_counter() - started < 0.95  # not 4 rounds of 300ms
    assert (result.status, result.reason) == (Status.ERROR, "60 of 60 packages not checked (pkg0, pkg1, pkg2, …): "
                                                            "the npm registry: no answer within 300ms (60)")
    assert len(registry.server.requests) < 60


def test_a_password_in_a_registry_url_is_sent_but_never_shown(tmp_path: Path, registry: Registry) -> None:
    url = registry.server.base_url.replace("http://", "http://ci:s3cr3t-token@")
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    result = fresh(lock, {"npm": url}, max_outdated=0)
    assert result.status is Status.FAILED
    assert all(r.headers["Authorization"].startswith("Basic ") for r in registry.server.requests)
    assert "s3cr3t" not in result.reason + json.dumps(result.evidence)
    assert result.evidence["registries"] == {"npm": url.replace("s3cr3t-token", "***")}


def test_only_entries_with_a_freshness_limit_are_collected_with_the_audits_ids() -> None:
    env = Environment.model_validate({"environment": "x", "hosts": [{"name": "web1", "target": "local://"}],
                                      "security": {"dependency_audit": [
                                          {"lockfile": "/app/composer.lock", "host": "web1", "max_outdated": 20},
                                          {"lockfile": "/app/package-lock.json", "host": "web1"},
                                          {"lockfile": "/app/requirements.txt", "max_major_behind": 0}]}})
    assert [i.name for i in freshness_items(env)] == ["web1:/app/composer.lock", "local:/app/requirements.txt"]


def test_registries_name_an_ecosystem_and_a_web_url() -> None:
    head = "environment: x\nsecurity:\n  dependency_audit:\n    - lockfile: /app/package-lock.json\n"
    at(one(head + "      registries: {npm: ftp://mirror.internal/npm}\n"), 5,
       "security.dependency_audit[0].registries.npm", "is not an http:// or https:// URL")
    at(one(head + "      registries: {nuget: https://mirror.internal}\n"), 5,
       "security.dependency_audit[0].registries.nuget.[key]", "must be one of 'npm', 'Packagist' or 'PyPI'")
    at(one(head + "      max_outdated: -1\n"), 5, "security.dependency_audit[0].max_outdated", "0")

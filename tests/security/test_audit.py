"""The dependency audit end to end: real lockfiles, offline OSV mirrors, a loopback OSV API, testinfra hosts.

The point of these tests: a package that was not checked is never reported as clean (pip-audit's
"No known vulnerabilities found" while it skipped every package is the failure mode avoided).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from opsverify.checks.security import Audit
from opsverify.checks.security.audit import dependencies
from opsverify.context import RunContext
from opsverify.result import Status
from opsverify.spec.models.environment import Environment
from opsverify.spec.models.security import DependencyAudit
from tests.security.conftest import security
from tests.security.osv_records import LODASH, REQUESTS, WERKZEUG, mirror, record
from tests.support.http_server import HttpServer, Reply
from tests.support.net import free_port

NPM_LOCK = {"lockfileVersion": 3, "packages": {"": {"name": "shop"}, "node_modules/lodash": {"version": "4.17.20"},
                                               "node_modules/express": {"version": "4.21.2"}}}


def audit(lockfile: Path | str, advisories: Path | str | None, *, context: RunContext | None = None,
          **fields: Any):
    """Run the audit check on one lockfile."""
    entry = DependencyAudit.model_validate({"lockfile": str(lockfile), "advisories": advisories and str(advisories),
                                            "timeout": "2s", **fields})
    return dependencies(Audit(security(), entry), context=context)


def lockfile(folder: Path, name: str, content: Any) -> Path:
    """A lockfile written into folder (dicts as JSON)."""
    path = folder / name
    path.write_text(json.dumps(content) if isinstance(content, dict) else content)
    return path


def test_a_vulnerable_npm_package_above_the_limit_fails(tmp_path: Path) -> None:
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    result = audit(lock, mirror(tmp_path / "osv", LODASH, WERKZEUG))
    assert result.status is Status.FAILED
    assert result.reason == (f"1 known vulnerability above medium in {lock}: lodash 4.17.20: GHSA-35jh-r3h4-6jhm "
                             "(high, fixed in 4.17.21)")
    assert result.evidence["checked"] == 2 and result.evidence["unchecked"] == 0


def test_a_vulnerable_package_pinned_in_a_yarn_lock_fails(tmp_path: Path) -> None:
    lock = lockfile(tmp_path, "yarn.lock", '# yarn lockfile v1\n\n\nlodash@^4.17.20:\n  version "4.17.20"\n\n'
                                           'express@^4.21.0:\n  version "4.21.2"\n')
    result = audit(lock, mirror(tmp_path / "osv", LODASH, WERKZEUG))
    assert result.status is Status.FAILED
    assert result.reason == (f"1 known vulnerability above medium in {lock}: lodash 4.17.20: GHSA-35jh-r3h4-6jhm "
                             "(high, fixed in 4.17.21)")
    assert result.evidence["checked"] == 2


def test_within_the_limit_it_is_a_warning_listing_it(tmp_path: Path) -> None:
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    result = audit(lock, mirror(tmp_path / "osv", LODASH), max_severity="high")
    assert (result.status, result.reason) == (Status.WARNING, "1 known vulnerability at or below high: lodash "
                                                              "4.17.20: GHSA-35jh-r3h4-6jhm (high, fixed in 4.17.21)")


def test_clean_packages_pass_naming_the_source(tmp_path: Path) -> None:
    lock = lockfile(tmp_path, "requirements.txt", "Werkzeug==3.1.3\nrequests==2.32.4\n")
    osv = mirror(tmp_path / "osv", WERKZEUG, REQUESTS)
    result = audit(lock, osv)
    assert (result.status, result.reason) == (Status.PASSED, f"no known vulnerabilities in 2 packages "
                                                             f"(2 OSV records in {osv})")


def test_an_offline_zip_mirror_works(tmp_path: Path) -> None:
    lock = lockfile(tmp_path, "requirements.txt", "werkzeug==3.0.1\n")
    result = audit(lock, mirror(tmp_path / "osv", WERKZEUG, as_zip=True))
    assert result.status is Status.FAILED and "GHSA-2g68-c3qc-8985 (high, fixed in 3.0.3)" in result.reason


def test_unpinned_packages_are_an_error_never_a_clean_pass(tmp_path: Path) -> None:
    lock = lockfile(tmp_path, "requirements.txt", "requests==2.32.4\ncelery>=5\n")
    result = audit(lock, mirror(tmp_path / "osv", REQUESTS))
    assert result.status is Status.ERROR
    assert result.reason == "1 of 2 packages not checked (celery): not pinned to one version"


def test_a_mirror_without_the_lockfiles_ecosystem_checks_nothing(tmp_path: Path) -> None:
    """The offline twin of pip-audit's false clean: a PyPI-only mirror cannot vouch for npm packages."""
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    result = audit(lock, mirror(tmp_path / "osv", WERKZEUG))
    assert result.status is Status.ERROR
    assert result.reason == ("2 of 2 packages not checked (lodash, express): the advisory mirror holds no npm "
                             "advisories (2)")


def test_a_vulnerability_still_fails_when_other_packages_were_not_checked(tmp_path: Path) -> None:
    lock = lockfile(tmp_path, "requirements.txt", "werkzeug==3.0.1\nflask\n")
    result = audit(lock, mirror(tmp_path / "osv", WERKZEUG))
    assert result.status is Status.FAILED
    assert result.reason.endswith("; 1 of 2 packages not checked (flask): not pinned to one version")


def test_an_unknown_severity_counts_as_above_the_limit(tmp_path: Path) -> None:
    lock = lockfile(tmp_path, "requirements.txt", "shoplib==1.0\n")
    osv = mirror(tmp_path / "osv", record("PYSEC-TEST-1", "PyPI", "shoplib", fixed="1.1", severity=None))
    result = audit(lock, osv, max_severity="critical")
    assert result.status is Status.FAILED and "PYSEC-TEST-1 (severity not given, fixed in 1.1)" in result.reason


def test_a_stale_mirror_is_a_warning(tmp_path: Path) -> None:
    lock = lockfile(tmp_path, "requirements.txt", "requests==2.32.4\n")
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=45)
    result = audit(lock, mirror(tmp_path / "osv", record("GHSA-x", "PyPI", "requests", fixed="2.0", modified=old)))
    assert result.status is Status.WARNING
    assert result.reason.startswith("no known vulnerabilities in 1 packages, but the advisory mirror is 45 days old")


def test_an_unreachable_advisory_api_is_an_error_naming_the_cause(tmp_path: Path) -> None:
    lock = lockfile(tmp_path, "package-lock.json", NPM_LOCK)
    url = f"http://127.0.0.1:{free_port()}"
    result = audit(lock, url)
    assert result.status is Status.ERROR
    assert result.reason.startswith(f"could not reach the advisory source {url} (connection refused on ")
    assert result.reason.endswith("no package was checked - point `advisories:` at an offline OSV mirror "
                                  "(a folder or .zip)")


def test_an_osv_compatible_api_on_loopback_is_queried(tmp_path: Path) -> None:
    """querybatch then vulns/ID, as api.osv.dev answers them."""

    def batch(request) -> Reply:
        """One result per query: lodash is vulnerable."""
        queries = json.loads(request.body)["queries"]
        return Reply(200, {"results": [{"vulns": [{"id": LODASH["id"], "modified": LODASH["modified"]}]}
                                       if q["package"]["name"] == "lodash" else {} for q in queries]})

    with HttpServer({"/v1/querybatch": batch, f"/v1/vulns/{LODASH['id']}": Reply(200, LODASH)}) as api:
        result = audit(lockfile(tmp_path, "package-lock.json", NPM_LOCK), api.base_url)
    assert result.status is Status.FAILED and "lodash 4.17.20: GHSA-35jh-r3h4-6jhm" in result.reason
    assert [r.path for r in api.requests] == ["/v1/querybatch", f"/v1/vulns/{LODASH['id']}"]


def test_the_default_source_is_the_osv_api() -> None:
    entry = DependencyAudit.model_validate({"lockfile": "/app/composer.lock"})
    assert entry.advisories is None  # api.osv.dev: this machine cannot resolve it; the reason then says so


def test_a_missing_or_unsupported_lockfile_is_an_error(tmp_path: Path) -> None:
    missing = audit(tmp_path / "composer.lock", tmp_path)
    assert (missing.status, missing.reason) == (Status.ERROR, f"cannot read {tmp_path / 'composer.lock'}: "
                                                              "No such file or directory")
    pnpm = audit(lockfile(tmp_path, "pnpm-lock.yaml", "lockfileVersion: '9.0'"), tmp_path)
    assert pnpm.status is Status.ERROR and "pnpm-lock.yaml is not a lockfile opsverify reads" in pnpm.reason


def test_a_lockfile_on_a_testinfra_host_is_read_through_testinfra(tmp_path: Path) -> None:
    lock = lockfile(tmp_path, "requirements.txt", "werkzeug==3.0.1\n")
    env = Environment.model_validate({"environment": "x", "hosts": [{"name": "web1", "target": "local://"}]})
    context = RunContext(env, tmp_path, None, dt.datetime.now(dt.timezone.utc))
    result = audit(lock, mirror(tmp_path / "osv", WERKZEUG), context=context, host="web1")
    assert result.status is Status.FAILED
    gone = audit(tmp_path / "gone.txt", tmp_path / "osv", context=context, host="web1")
    assert (gone.status, gone.reason) == (Status.ERROR, f"{tmp_path / 'gone.txt'} does not exist on web1")

"""Pending updates on this machine: a real dummy package, v1 installed, v2 in a local apt security repository."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsverify.checks.host.updates import parse_apt, parse_dnf, parse_dnf_security, pending
from opsverify.result import Status
from tests.hosts.helpers import host_item

PACKAGE = "opsverify-dummy"
needs_apt = pytest.mark.skipif(not (shutil.which("apt-get") and shutil.which("dpkg-deb") and os.geteuid() == 0),
                               reason="needs apt-get, dpkg-deb and root (dpkg -i of a dummy package)")


def _deb(folder: Path, version: str) -> Path:
    """A dummy package built with dpkg-deb."""
    root = folder / f"build-{version}"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(f"Package: {PACKAGE}\nVersion: {version}\nArchitecture: all\n"
                                             "Maintainer: opsverify <ops@example.com>\nDescription: test package\n")
    deb = folder / f"{PACKAGE}_{version}_all.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(deb)], check=True, capture_output=True)
    return deb


def _dpkg(*args: str) -> None:
    """dpkg under the lock the other installers here take."""
    subprocess.run(["flock", "/tmp/apt.lock", "dpkg", *args], check=True, capture_output=True)


class Repo:
    """A flat file: repository holding v2, labelled as a security source, and apt pointed at it by APT_CONFIG."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.v1, self.v2 = folder, _deb(folder, "1.0"), _deb(folder, "2.0")
        repo, self.lists = folder / "repo", folder / "lists"
        repo.mkdir()
        (self.lists / "partial").mkdir(parents=True)
        shutil.copy(self.v2, repo / self.v2.name)
        data = self.v2.read_bytes()
        control = subprocess.run(["dpkg-deb", "-f", str(self.v2)], check=True, capture_output=True, text=True).stdout
        (repo / "Packages").write_text(control.rstrip("\n") + f"\nFilename: ./{self.v2.name}\nSize: {len(data)}\n"
                                       f"SHA256: {hashlib.sha256(data).hexdigest()}\n\n")
        (repo / "Release").write_text("Origin: Debian\nLabel: Debian-Security\nSuite: bookworm-security\n"
                                      "Codename: bookworm-security\n")
        (folder / "sources.list").write_text(f"deb [trusted=yes] file:{repo} ./\n")
        self.config = folder / "apt.conf"
        self.config.write_text(f'Dir::Etc::sourcelist "{folder / "sources.list"}";\nDir::Etc::sourceparts "-";\n'
                               f'Dir::State::Lists "{self.lists}";\nDir::Cache::pkgcache "";\n'
                               'Dir::Cache::srcpkgcache "";\n')
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, env=self.env)

    @property
    def env(self) -> dict[str, str]:
        """The environment that points apt at this repository only."""
        return {**os.environ, "APT_CONFIG": str(self.config)}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Repo]:
    """v1 installed, v2 available from a security source; the package purged afterwards."""
    made = Repo(tmp_path)
    _dpkg("-i", str(made.v1))
    monkeypatch.setenv("APT_CONFIG", str(made.config))
    try:
        yield made
    finally:
        _dpkg("-P", PACKAGE)


@needs_apt
def test_a_pending_security_update_fails_with_the_package_named(repo: Repo) -> None:
    status, lists = Path("/var/lib/dpkg/status").stat().st_mtime, repo.lists.stat().st_mtime
    result = pending(host_item(max_security_updates=0))
    assert result.status is Status.FAILED
    assert result.reason == f"1 security update pending on web1: {PACKAGE}; limit 0"
    assert result.evidence["tool"] == "apt-get"
    assert re.fullmatch(r"\d+(ms|s|m)", result.evidence["package_lists_age"]), result.evidence
    assert (Path("/var/lib/dpkg/status").stat().st_mtime, repo.lists.stat().st_mtime) == (status, lists)  # no write


@needs_apt
def test_pending_updates_within_the_limit_pass(repo: Repo) -> None:
    result = pending(host_item(max_pending_updates=1))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == f"1 update pending on web1: {PACKAGE}; limit 1"


@needs_apt
def test_the_update_installed_passes(repo: Repo) -> None:
    _dpkg("-i", str(repo.v2))
    result = pending(host_item(max_pending_updates=0, max_security_updates=0))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == "0 updates pending on web1; limit 0 | 0 security updates pending on web1; limit 0"


@needs_apt
def test_the_machine_s_own_sources_are_read_without_error() -> None:
    result = pending(host_item(max_pending_updates=100000, timeout="60s"))  # the real apt cache: slow when busy
    assert result.status is Status.PASSED, result.reason
    assert result.evidence["pending"] >= result.evidence["security"]


def age_lists(repo: Repo, days: float) -> None:
    """Make apt's package lists (the folder and everything in it) look last refreshed `days` ago."""
    then = time.time() - days * 86400
    for path in [repo.lists, *repo.lists.iterdir()]:
        os.utime(path, (then, then))


@needs_apt
def test_package_lists_older_than_their_limit_cannot_say_what_is_pending(repo: Repo) -> None:
    _dpkg("-i", str(repo.v2))  # nothing pending: the stale lists would show a clean host
    age_lists(repo, 9)
    stale = pending(host_item(max_security_updates=0))
    assert stale.status is Status.ERROR
    assert stale.reason == ("package lists on web1 are 9d old; limit 2d: cannot say what is pending "
                            "(is `apt-get update` run, e.g. by apt-daily.timer?)")
    assert pending(host_item(max_security_updates=0, package_lists_max_age="10d")).status is Status.PASSED
    age_lists(repo, 1)
    fresh = pending(host_item(max_security_updates=0))
    assert fresh.status is Status.PASSED, fresh.reason
    assert fresh.evidence["package_lists_age"] == "24h"


def test_a_host_with_neither_apt_nor_dnf_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for tool in ("sh", "timeout"):
        (tmp_path / tool).symlink_to(shutil.which(tool))
    monkeypatch.setenv("PATH", str(tmp_path))
    result = pending(host_item(max_security_updates=0))
    assert result.status is Status.ERROR
    assert result.reason == "web1 has neither apt-get nor dnf: cannot say which updates are pending"


def test_no_limit_is_skipped() -> None:
    assert pending(host_item()).status is Status.SKIPPED


APT_SAMPLE = """\
Inst base-files [12.4+deb12u11] (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Inst libgcrypt20-dev [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64]) []
Inst liblzma-dev [5.4.1-1] (5.4.1-1+deb12u2 Debian-Security:12/oldstable-security [amd64]) []
Inst libssl3 [3.0.2-0ubuntu1.10] (3.0.2-0ubuntu1.12 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])
Inst newpkg (1.0 Debian:12.15/oldstable [amd64])
Conf base-files (12.4+deb12u15 Debian:12.15/oldstable [amd64])
"""


def test_apt_lines_from_this_machine_and_ubuntu_are_parsed() -> None:
    upgrades, security = parse_apt(APT_SAMPLE)
    assert upgrades == ["base-files", "libgcrypt20-dev", "liblzma-dev", "libssl3", "newpkg"]
    assert security == ["libgcrypt20-dev", "liblzma-dev", "libssl3"]


def test_dnf_output_is_parsed() -> None:  # dnf cannot run here: its documented output formats
    check = "\nopenssl-libs.x86_64     1:3.0.7-27.el9     baseos\ncurl.x86_64   7.76.1-29.el9_4   baseos\n" \
            "Obsoleting Packages\ngrub2-tools.x86_64  1:2.06-80.el9  baseos\n"
    assert parse_dnf(check) == ["openssl-libs", "curl"]
    advisories = "RHSA-2024:3501 Important/Sec. openssl-libs-1:3.0.7-27.el9.x86_64\n" \
                 "RHBA-2024:2000 bugfix       tzdata-2024a-1.el9.noarch\n"
    assert parse_dnf_security(advisories) == ["openssl-libs"]

"""File modes, owners and world-writable paths on a real host (local:// and over a real sshd)."""

from __future__ import annotations

import os
from pathlib import Path


from opsverify.checks.host import OnHost
from opsverify.checks.host.files import file, world_writable
from opsverify.result import Status
from tests.hosts.helpers import host_item


def env_file(tmp_path: Path, mode: int) -> Path:
    """An app's .env with secrets, chmod'ed to mode."""
    path = tmp_path / ".env"
    path.write_text("APP_KEY=base64:not-a-real-key\nDB_PASSWORD=not-real\n")
    path.chmod(mode)
    return path


def entry(target: str, **spec: object) -> OnHost:
    """The host's one `files:` entry."""
    host = host_item(target, files=[{"name": "app-env-file", **spec}])
    return OnHost(host, host.files[0])


def test_a_0666_env_file_fails_naming_the_extra_permissions(tmp_path: Path, target: str) -> None:
    path = env_file(tmp_path, 0o666)
    result = file(entry(target, path=str(path), mode="0640"))
    assert result.status is Status.FAILED
    assert result.reason == f"{path} has mode 0666; at most 0640 allowed (group can write, others can read, " \
                            "others can write)"
    assert result.evidence["mode"] == "0666"


def test_a_file_as_open_as_allowed_or_less_passes(tmp_path: Path, target: str) -> None:
    path = env_file(tmp_path, 0o600)
    result = file(entry(target, path=str(path), mode="0640", owner="root"))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == f"{path} has mode 0600 (at most 0640) | {path} is owned by root"


def test_the_wrong_owner_or_group_fails(tmp_path: Path) -> None:
    path = env_file(tmp_path, 0o640)
    os.chown(path, 65534, 65534)  # nobody / nogroup
    result = file(entry("local://", path=str(path), mode="0640", owner="www-data", group="www-data"))
    assert result.status is Status.FAILED
    assert result.reason == f"{path} is owned by nobody; expected www-data | {path} is in group nogroup; " \
                            "expected www-data"


def test_setuid_beyond_the_mode_is_named(tmp_path: Path) -> None:
    path = env_file(tmp_path, 0o4755)
    result = file(entry("local://", path=str(path), mode="0755"))
    assert result.reason == f"{path} has mode 4755; at most 0755 allowed (setuid)"


def test_a_missing_file_fails(tmp_path: Path) -> None:
    result = file(entry("local://", path=str(tmp_path / "gone.env"), mode="0640"))
    assert result.status is Status.FAILED
    assert result.reason == f"{tmp_path / 'gone.env'} does not exist on web1"


def test_a_world_writable_file_fails_and_a_sticky_shared_folder_does_not(tmp_path: Path, target: str) -> None:
    app = tmp_path / "app"
    (app / "storage" / "shared").mkdir(parents=True)
    (app / "storage" / "shared").chmod(0o1777)  # like /tmp: world-writable with the sticky bit
    (app / "index.php").write_text("<?php")
    assert world_writable(host_item(target, no_world_writable=[str(app)])).status is Status.PASSED
    loose = app / "storage" / "cache.php"
    loose.write_text("<?php")
    loose.chmod(0o666)
    open_dir = app / "uploads"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    result = world_writable(host_item(target, no_world_writable=[str(app)]))
    assert result.status is Status.FAILED
    assert result.value == 2
    assert result.reason.startswith("2 paths are writable by everyone: ")
    assert set(result.reason.split(": ", 1)[1].split(", ")) == {str(loose), str(open_dir)}


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    result = world_writable(host_item(no_world_writable=[str(tmp_path / "nope")]))
    assert result.status is Status.ERROR
    assert result.reason == f"cannot search {tmp_path / 'nope'} on web1: find: '{tmp_path / 'nope'}': " \
                            "No such file or directory"

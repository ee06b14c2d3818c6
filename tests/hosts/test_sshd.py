"""sshd -T on a real sshd's configuration, read locally and over that sshd itself."""

from __future__ import annotations

import pytest

from opsverify.checks.host.sshd import settings
from opsverify.result import Status
from tests.hosts.helpers import host_item
from tests.support.fixtures import require
from tests.support.sshd import SshServer

HARDENED = {"permitrootlogin": "no", "passwordauthentication": False, "x11forwarding": "no"}


@pytest.fixture(scope="module")
def root_login_sshd():
    """A real sshd whose configuration says PermitRootLogin yes."""
    require(SshServer.unavailable())
    with SshServer(extra=("PermitRootLogin yes", "X11Forwarding no")) as server:
        yield server


def test_permit_root_login_yes_fails_naming_the_setting(root_login_sshd: SshServer) -> None:
    for target in ("local://", root_login_sshd.target):
        result = settings(host_item(target, sshd=HARDENED, sshd_config=str(root_login_sshd.config)))
        assert result.status is Status.FAILED
        assert result.reason == "sshd on web1: permitrootlogin is yes, expected no"
        assert result.evidence["effective"] == {"permitrootlogin": "yes", "passwordauthentication": "no",
                                                "x11forwarding": "no"}


def test_a_hardened_configuration_passes(sshd: SshServer) -> None:
    result = settings(host_item(sshd.target, sshd={"permitrootlogin": "prohibit-password",
                                                   "passwordauthentication": "no", "pubkeyauthentication": "yes"},
                                sshd_config=str(sshd.config)))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == "sshd on web1 has permitrootlogin prohibit-password, passwordauthentication no, " \
                            "pubkeyauthentication yes"


def test_an_option_sshd_does_not_know_is_an_error(sshd: SshServer) -> None:
    result = settings(host_item(sshd={"permitrootlogon": "no"}, sshd_config=str(sshd.config)))
    assert result.status is Status.ERROR
    assert result.reason == "`sshd -T` on web1 prints no option named permitrootlogon"


def test_an_unreadable_configuration_is_an_error(tmp_path) -> None:
    result = settings(host_item(sshd={"permitrootlogin": "no"}, sshd_config=str(tmp_path / "missing_config")))
    assert result.status is Status.ERROR
    assert result.reason.startswith("`sshd -T` failed on web1: "), result.reason
    assert "missing_config" in result.reason

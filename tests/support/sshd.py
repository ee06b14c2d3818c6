"""A throwaway sshd on a loopback port with its own host key and key-only login for a temporary key."""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import wait_for_port
from tests.support.fixtures import require
from tests.support.net import LOOPBACK, free_port

SSHD = "/usr/sbin/sshd"


class SshServer:
    """`sshd -D -f CONFIG -p PORT` as a child process; a client key, an ssh_config and testinfra specs.

    `extra` lines are added to the server's configuration (e.g. `PermitRootLogin yes`); sshd runs under the
    command `under` when given (e.g. `unshare …`, which ends by executing its arguments).
    """

    def __init__(self, extra: tuple[str, ...] = (), under: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.user = getpass.getuser()
        self.extra = extra
        self.under = under
        self.folder: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def unavailable() -> str | None:
        """Why an sshd cannot be run here (None when it can)."""
        if not os.path.exists(SSHD):
            return f"{SSHD} not found (install openssh-server)"
        if not (shutil.which("ssh") and shutil.which("ssh-keygen")):
            return "ssh or ssh-keygen not found (install openssh-client)"
        return None

    @property
    def config(self) -> Path:
        """The server's sshd_config (what `sshd -T -f` reads)."""
        return self._path("sshd_config")

    @property
    def identity(self) -> Path:
        """The client's private key."""
        return self._path("client_key")

    @property
    def client_config(self) -> Path:
        """An ssh_config for the client: this port, this key, no host-key prompts, batch mode."""
        return self._path("ssh_config")

    @property
    def log(self) -> Path:
        """The server's log (sshd -E)."""
        return self._path("sshd.log")

    @property
    def target(self) -> str:
        """A testinfra host spec reaching this server through the ssh backend."""
        return f"ssh://{self.user}@{LOOPBACK}:{self.port}?ssh_config={self.client_config}&timeout=5"

    def start(self) -> SshServer:
        """Write keys and configs on first use, start sshd and wait until it listens."""
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="opsv-sshd-"))
            self._keygen("host_key")
            self._keygen("client_key")
            (self.folder / "authorized_keys").write_text(self._path("client_key.pub").read_text())
            self.config.write_text(self._server_config())
            self.client_config.write_text(self._client_config())
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation folder
        self.process = subprocess.Popen([*self.under, SSHD, "-D", "-f", str(self.config), "-p", str(self.port),
                                         "-E", str(self.log)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(self.port, process=self.process)
        except BaseException:
            self.destroy()
            raise
        return self

    def stop(self) -> None:
        """Close the client's shared connection, stop sshd and wait for it to exit; keys and configs stay."""
        if self.folder is not None:
            subprocess.run(["ssh", "-F", str(self.client_config), "-O", "exit", LOOPBACK],
                           capture_output=True, timeout=10, check=False)
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def destroy(self) -> None:
        """Stop sshd and delete its folder."""
        self.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> SshServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.destroy()

    def _path(self, name: str) -> Path:
        """A file in the server's folder."""
        if self.folder is None:
            raise RuntimeError("the server is not started")
        return self.folder / name

    def _keygen(self, name: str) -> None:
        """An ed25519 key pair without passphrase."""
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "opsverify-test",
                        "-f", str(self._path(name))], check=True, capture_output=True, timeout=30)

    def _server_config(self) -> str:
        """Key authentication only, for the temporary key, on loopback."""
        lines = [f"ListenAddress {LOOPBACK}", f"HostKey {self._path('host_key')}",
                 f"AuthorizedKeysFile {self._path('authorized_keys')}",
                 f"PidFile {self._path('sshd.pid')}", "PasswordAuthentication no",
                 "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
                 *self.extra, "PermitRootLogin prohibit-password", "LogLevel INFO"]
        return "".join(line + "\n" for line in lines)

    def _client_config(self) -> str:
        """The client side: this key only, no known_hosts, never prompt."""
        lines = [f"Host {LOOPBACK}", f"  Port {self.port}", f"  User {self.user}",
                 f"  IdentityFile {self.identity}", "  IdentitiesOnly yes", "  BatchMode yes",
                 "  StrictHostKeyChecking no", "  UserKnownHostsFile /dev/null", "  LogLevel ERROR",
                 f"  ControlPath {self.folder}/cm-%C"]  # testinfra asks for ControlMaster: reuse one connection
        return "".join(line + "\n" for line in lines)


@pytest.fixture(scope="session")
def sshd() -> Iterator[SshServer]:
    """A real sshd on loopback for the session; import it into a conftest to use it."""
    require(SshServer.unavailable())
    with SshServer() as server:
        yield server


@pytest.fixture(params=["local", "ssh"])
def target(request: pytest.FixtureRequest) -> str:
    """A testinfra target for this machine, both ways: local://, and ssh:// through the session's sshd."""
    return "local://" if request.param == "local" else request.getfixturevalue("sshd").target

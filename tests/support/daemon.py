"""Running throwaway service daemons: as their service user when we are root, in a scratch folder."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from tests.support.net import LOOPBACK, free_port


def as_user(user: str, argv: list[str]) -> list[str]:
    """The command run as `user` when we are root (initdb and mariadbd refuse root), else as is."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", user, "--", *argv]


def scratch_folder(user: str, prefix: str) -> Path:
    """A new folder under the system temp dir that `user` owns when we are root."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    return folder


def service_user(user: str) -> str | None:
    """Why a daemon cannot be run as `user` here (None when it can)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(user)
    except KeyError:
        return f"running as root and there is no {user!r} user to run the server as"
    return None if shutil.which("runuser") else "running as root and runuser is missing"


def wait_for_port(port: int, timeout: float = 10.0, process: subprocess.Popen[bytes] | None = None) -> None:
    """Block until something accepts connections on loopback:port; RuntimeError after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before listening")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {LOOPBACK}:{port} after {timeout}s")


class LoopbackDaemon:
    """A server program on a free loopback port, its files and log in a scratch folder that stop() removes.

    A subclass names its program (`binary`) and its command line; `ready()` may wait for more than the port.
    """

    binary = ""  # the program
    package = ""  # the Debian package that has it

    def __init__(self) -> None:
        self.port = free_port()
        self.folder: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log: BinaryIO | None = None

    @classmethod
    def unavailable(cls) -> str | None:
        """Why the program cannot be run here (None when it can)."""
        return None if shutil.which(cls.binary) else f"{cls.binary} not found (apt-get install {cls.package})"

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://{LOOPBACK}:{self.port}"

    def command(self, folder: Path) -> list[str]:
        """The command line, with its files under `folder`."""
        raise NotImplementedError

    def ready(self) -> None:
        """Wait until it serves, beyond listening (nothing more by default)."""

    def start(self) -> LoopbackDaemon:
        """Start it in a new scratch folder and wait until it listens and is ready."""
        self.folder = Path(tempfile.mkdtemp(prefix=f"opsv-{self.binary}-"))
        self.log = (self.folder / "log").open("wb")
        self.process = subprocess.Popen(self.command(self.folder), stdout=subprocess.DEVNULL, stderr=self.log)
        try:
            wait_for_port(self.port, timeout=30, process=self.process)
            self.ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop it and delete its folder."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
        if self.log is not None:
            self.log.close()
            self.log = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> LoopbackDaemon:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

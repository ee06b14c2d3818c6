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

from tests.support.net import LOOPBACK


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

"""A throwaway MariaDB server: mariadb-install-db into a scratch datadir, mariadbd on a free port."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.support.daemon import scratch_folder, service_user, wait_for_port
from tests.support.net import LOOPBACK, free_port


class MariaDbServer:
    """A private mariadbd (root without password over loopback TCP); start(), stop(), destroy()."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def unavailable() -> str | None:
        """Why a server cannot be made here (None when it can)."""
        if not (shutil.which("mariadbd") and shutil.which("mariadb-install-db")):
            return "mariadbd or mariadb-install-db not found (install mariadb-server)"
        return service_user("mysql")

    def url(self, database: str = "mysql") -> str:
        """A SQLAlchemy URL for a database of this server, as root."""
        return f"mysql+pymysql://root@{LOOPBACK}:{self.port}/{database}"

    def start(self) -> MariaDbServer:
        """Create the datadir on first use, then start mariadbd and wait until it listens."""
        if self.folder is None:
            self.folder = scratch_folder("mysql", "opsv-maria-")
            done = subprocess.run(
                ["mariadb-install-db", "--no-defaults", f"--datadir={self.folder / 'data'}", *_as_mysql(),
                 "--auth-root-authentication-method=normal", "--skip-test-db"],
                capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                raise RuntimeError(f"mariadb-install-db failed: {done.stderr.strip()[-500:]}")
        self.process = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={self.folder / 'data'}", *_as_mysql(),
             f"--bind-address={LOOPBACK}", f"--port={self.port}", f"--socket={self.folder / 'mysqld.sock'}",
             f"--pid-file={self.folder / 'mysqld.pid'}", f"--log-error={self.folder / 'error.log'}",
             "--skip-log-bin"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, timeout=30, process=self.process)
        self._wait_until_ready()
        return self

    def _wait_until_ready(self, timeout: float = 30.0) -> None:
        """Wait for "ready for connections": until then mariadbd ignores SIGTERM."""
        log = self.folder / "error.log" if self.folder else None
        deadline = time.monotonic() + timeout
        while log is not None and time.monotonic() < deadline:
            if log.exists() and "ready for connections" in log.read_text(errors="replace"):
                return
            time.sleep(0.02)
        raise RuntimeError(f"mariadbd did not report ready within {timeout}s (see {log})")

    def stop(self) -> None:
        """Stop mariadbd (SIGTERM, a clean shutdown) and wait for it; the datadir stays."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def destroy(self) -> None:
        """Kill the server (its data is thrown away, so no clean shutdown) and delete its datadir."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> MariaDbServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.destroy()


def _as_mysql() -> list[str]:
    """mariadbd drops to the mysql user itself when started as root (a runuser wrapper would
    turn our SIGTERM into a SIGKILL two seconds later)."""
    return ["--user=mysql"] if os.geteuid() == 0 else []

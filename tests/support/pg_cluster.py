"""A throwaway PostgreSQL cluster: initdb -A trust + pg_ctl on a free loopback port."""

from __future__ import annotations

import glob
import shutil
import subprocess
from pathlib import Path

from tests.support.daemon import as_user, scratch_folder, service_user
from tests.support.net import LOOPBACK, free_port


def pg_bin() -> Path | None:
    """The folder holding initdb and pg_ctl (PATH first, then the newest /usr/lib/postgresql/*/bin)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    versions.sort(key=lambda folder: int(folder.parent.name) if folder.parent.name.isdigit() else 0)
    return versions[-1] if versions else None


class PgCluster:
    """A private cluster (trust auth, no fsync) owned by `postgres`; start(), stop(), destroy()."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        self.port = free_port()
        self.folder: Path | None = None

    @staticmethod
    def unavailable() -> str | None:
        """Why a cluster cannot be made here (None when it can)."""
        if pg_bin() is None:
            return "initdb not found (install postgresql)"
        return service_user("postgres")

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        if self.folder is None:
            raise RuntimeError("the cluster is not created")
        return self.folder / "data"

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        """A SQLAlchemy URL for a database of this cluster."""
        return f"postgresql+psycopg://{user}@{LOOPBACK}:{self.port}/{database}"

    def start(self) -> PgCluster:
        """Create the cluster on first use, then start it and wait until it accepts connections."""
        if self.folder is None:
            self.folder = scratch_folder("postgres", "opsv-pg-")
            self._run("initdb", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync",
                      "-D", str(self.data))
        options = f"-p {self.port} -k {self.folder} -c listen_addresses={LOOPBACK} -c fsync=off"
        self._run("pg_ctl", "-w", "-t", "20", "-D", str(self.data), "-l", str(self.folder / "log"),
                  "-o", options, "start")
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown); the cluster stays on disk."""
        if self.folder is not None and (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-w", "-D", str(self.data), "-m", "fast", "stop")

    def destroy(self) -> None:
        """Stop the server and delete the cluster."""
        self.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.destroy()

    def _run(self, tool: str, *args: str) -> None:
        """Run a PostgreSQL tool as postgres; RuntimeError with its output when it fails."""
        argv = as_user("postgres", [str(self.bin / tool) if self.bin else tool, *args])
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            output = done.stderr.strip() or done.stdout.strip()
            raise RuntimeError(f"{tool} failed ({done.returncode}): {output}")

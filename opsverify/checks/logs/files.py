"""A log and its rotated files (.1, .2.gz, -20261122.gz) read by byte range, on this machine or through testinfra."""

from __future__ import annotations

import glob
import os
import re
import shlex
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from opsverify.checks import CheckError
from opsverify.checks.host import output, run
from opsverify.checks.logs.stamps import Clock
from opsverify.spec.models.hosts import Host

ROTATED = re.compile(r"[.-]\d[\d-]*(\.gz)?")  # what logrotate and its date formats append
CHUNK = 1 << 20  # decompressed bytes handed on at a time


@dataclass(frozen=True)
class LogFile:
    """One file of a log: the live one or a rotated one."""

    path: str
    size: int
    mtime: float

    @property
    def gz(self) -> bool:
        """Whether it is gzip-compressed (read forwards in full, never seeked)."""
        return self.path.endswith(".gz")


def _newest_first(path: str, found: list[LogFile]) -> list[LogFile]:
    """The live file first, then the rotated ones from newest to oldest."""
    rotated = [f for f in found if f.path != path and ROTATED.fullmatch(f.path[len(path):])]
    live = [f for f in found if f.path == path]
    return live + sorted(rotated, key=lambda f: f.mtime, reverse=True)


class LocalFiles:
    """Logs on the machine running the suite, read with pread (no subprocess)."""

    block = 1 << 20

    def __init__(self) -> None:
        self._open: dict[str, int] = {}

    def clock(self) -> Clock:
        """Now, and this machine's own time zone for stamps without one."""
        return Clock(time.time())

    def files(self, path: str) -> list[LogFile]:
        """The log's files, live first, then rotated ones newest first."""
        found = []
        for name in [path, *glob.glob(glob.escape(path) + ".*"), *glob.glob(glob.escape(path) + "-*")]:
            try:
                info = os.stat(name)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise CheckError(f"cannot read {name}: {exc.strerror}") from exc
            if os.path.isfile(name):
                found.append(LogFile(name, info.st_size, info.st_mtime))
        return _newest_first(path, found)

    def read(self, file: LogFile, offset: int, length: int) -> bytes:
        """`length` bytes of a plain file from `offset`."""
        if file.path not in self._open:
            try:
                self._open[file.path] = os.open(file.path, os.O_RDONLY)
            except OSError as exc:
                raise CheckError(f"cannot read {file.path}: {exc.strerror}") from exc
        return os.pread(self._open[file.path], length, offset)

    def chunks(self, file: LogFile) -> Iterator[bytes]:
        """The decompressed content of a .gz file, a chunk at a time."""
        inflate = zlib.decompressobj(wbits=47)
        with open(file.path, "rb") as raw:
            while data := raw.read(CHUNK):
                yield inflate.decompress(data)
                while inflate.eof and inflate.unused_data:  # concatenated gzip members
                    rest, inflate = inflate.unused_data, zlib.decompressobj(wbits=47)
                    yield inflate.decompress(rest)
        yield inflate.flush()

    def close(self) -> None:
        """Close the files read."""
        for fd in self._open.values():
            os.close(fd)
        self._open.clear()


class RemoteFiles:
    """Logs on a testinfra host: stat to list, dd to read byte ranges, gzip -dc for rotated archives."""

    block = 8 << 20  # fewer, larger reads: each one is a command on the host

    def __init__(self, host: Host) -> None:
        self.host = host

    def clock(self) -> Clock:
        """Now on the host, and its UTC offset for stamps without a zone."""
        seconds, zone = output(self.host, "date +'%s %z'").split()
        sign = -1 if zone.startswith("-") else 1
        return Clock(float(seconds), sign * (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60))

    def files(self, path: str) -> list[LogFile]:
        """The log's files, live first, then rotated ones newest first."""
        quoted = shlex.quote(path)
        script = (f"for f in {quoted} {quoted}.* {quoted}-*; do "
                  f'[ -f "$f" ] && stat -L -c "%s %Y %n" "$f"; done; true')
        found = []
        for line in output(self.host, f"sh -c {shlex.quote(script)}").splitlines():
            size, mtime, name = line.split(" ", 2)
            found.append(LogFile(name, int(size), float(mtime)))
        return _newest_first(path, found)

    def read(self, file: LogFile, offset: int, length: int) -> bytes:
        """`length` bytes of a plain file from `offset`, through dd on the host."""
        command = "dd if=%s iflag=skip_bytes,count_bytes skip=%s count=%s bs=1M status=none"
        out = run(self.host, command, file.path, str(offset), str(length))
        if out.rc != 0:
            raise CheckError(f"cannot read {file.path} on {self.host.name}: {out.stderr.strip()}")
        return out.stdout_bytes

    def chunks(self, file: LogFile) -> Iterator[bytes]:
        """The decompressed content of a .gz file (decompressed on the host)."""
        out = run(self.host, "gzip -dc %s", file.path)
        if out.rc != 0:
            raise CheckError(f"cannot decompress {file.path} on {self.host.name}: {out.stderr.strip()}")
        data = out.stdout_bytes
        for start in range(0, len(data), CHUNK):
            yield data[start:start + CHUNK]

    def close(self) -> None:
        """Nothing is held open on the host."""


def files_on(host: Host) -> LocalFiles | RemoteFiles:
    """Direct reads for this machine (`local://` without sudo), commands through testinfra otherwise."""
    return LocalFiles() if host.target == "local://" else RemoteFiles(host)

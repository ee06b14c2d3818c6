"""Where a backup set lives: list, stat and read its files on this machine, on a host, or in S3."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import glob
import os
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from stat import S_ISREG
from typing import Any

from opsverify.checks import CheckError, probe, timeout_of
from opsverify.checks.deadline import budget
from opsverify.checks.backup.streams import CHUNK, file_chunks
from opsverify.context import RunContext
from opsverify.result import Result, failed
from opsverify.spec.models.backups import Backup
from opsverify.spec.models.hosts import Host
from opsverify.spec.secret import scrub, shorten

SIDECAR_SUFFIX = ".sha256"
SUMS_FILE = "SHA256SUMS"
LONG_COMMAND = 6 * 3600  # seconds a host may spend reading a whole backup (gzip -t, sha256sum, pg_restore)


class NoFiles(CheckError):
    """The set has no file at all: a failure of the check, not a check that could not be made."""


@dataclass(frozen=True)
class BackupFile:
    """One file of a backup set: its name, where it is, its size and when it was last written (UTC)."""

    name: str
    path: str  # a path on the machine or host, or an S3 key
    size: int
    modified: dt.datetime

    def age(self, now: dt.datetime) -> float:
        """Seconds since the file was written (0 for a file from the future)."""
        return max(0.0, (now - self.modified).total_seconds())


class Store:
    """Files in one place; subclasses read them from this machine, a testinfra host or S3."""

    where = ""  # " on db1", " in s3://bucket": appended to a path in messages

    def list(self, pattern: str) -> list[BackupFile]:
        """The files matching the glob, newest first, checksum sidecars left out."""
        files = [f for f in self._matches(pattern)
                 if not f.name.endswith(SIDECAR_SUFFIX) and f.name != SUMS_FILE]
        return sorted(files, key=lambda f: f.modified, reverse=True)

    def _matches(self, pattern: str) -> list[BackupFile]:
        """Every file matching the glob, in any order."""
        raise NotImplementedError

    def chunks(self, file: BackupFile) -> Iterator[bytes]:
        """The file's bytes, start to end, in pieces of at most CHUNK bytes."""
        raise NotImplementedError

    def small(self, path: str, limit: int = 1 << 20) -> bytes | None:
        """The first `limit` bytes of a small file (a sidecar), or None when there is no such file."""
        raise NotImplementedError

    def stat(self, path: str) -> BackupFile | None:
        """One file's size and time, or None when it does not exist."""
        raise NotImplementedError

    def changed(self, path: str) -> dt.datetime | None:
        """The newest modification time at or under a path (symlinks not followed), in UTC; None if it is missing."""
        raise NotImplementedError

    def tail(self, path: str, size: int) -> bytes:
        """The last `size` bytes of a file."""
        raise NotImplementedError

    def walk(self, folder: str) -> Iterator[tuple[str, int, float]]:
        """Every regular file under a folder, symlinks not followed: its path relative to it, size and mtime."""
        raise NotImplementedError

    def lookup(self, folder: str) -> Callable[[str], tuple[int, float] | None]:
        """Size and mtime of a regular file under the folder by its relative path (the folder listed once)."""
        files = {path: (size, when) for path, size, when in self.walk(folder)}
        return files.get


class LocalStore(Store):
    """Files on the machine running opsverify."""

    def _matches(self, pattern: str) -> list[BackupFile]:
        """Files matching the glob here (`**` crosses folders)."""
        found = (self.stat(path) for path in glob.glob(os.path.expanduser(pattern), recursive=True))
        return [f for f in found if f is not None]

    def chunks(self, file: BackupFile) -> Iterator[bytes]:
        """The file read in CHUNK pieces."""
        with open(file.path, "rb", buffering=0) as stream:
            yield from file_chunks(stream)

    def small(self, path: str, limit: int = 1 << 20) -> bytes | None:
        """The start of a small file, or None."""
        try:
            with open(path, "rb") as stream:
                return stream.read(limit)
        except FileNotFoundError:
            return None

    def stat(self, path: str) -> BackupFile | None:
        """Size and time of a regular file, or None."""
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return None
        if not os.path.isfile(path):
            return None
        when = dt.datetime.fromtimestamp(info.st_mtime, dt.timezone.utc)
        return BackupFile(os.path.basename(path), path, info.st_size, when)

    def changed(self, path: str) -> dt.datetime | None:
        """The newest lstat time of the path and, for a folder, of everything below it."""
        try:
            newest = os.lstat(path).st_mtime
        except FileNotFoundError:
            return None
        for folder, dirs, files in ([] if os.path.islink(path) else os.walk(path)):
            for name in dirs + files:
                with contextlib.suppress(FileNotFoundError):  # removed while walking
                    newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime)
        return dt.datetime.fromtimestamp(newest, dt.timezone.utc)

    def tail(self, path: str, size: int) -> bytes:
        """The file's last bytes."""
        with open(path, "rb") as stream:
            stream.seek(max(0, os.path.getsize(path) - size))
            return stream.read(size)

    def walk(self, folder: str) -> Iterator[tuple[str, int, float]]:
        """The folder's files, one directory open at a time (memory follows the tree's depth, not its size)."""
        _folder(folder)
        todo = [""]
        while todo:
            below = todo.pop()
            for entry in _entries(folder, below):
                path = os.path.join(below, entry.name)
                if entry.is_dir(follow_symlinks=False):
                    todo.append(path)
                elif entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(FileNotFoundError):  # removed while walking
                        info = entry.stat(follow_symlinks=False)
                        yield path, info.st_size, info.st_mtime

    def lookup(self, folder: str) -> Callable[[str], tuple[int, float] | None]:
        """One lstat per file asked for: nothing is held."""
        _folder(folder)

        def find(path: str) -> tuple[int, float] | None:
            """Size and mtime of a regular file there, or None."""
            try:
                info = os.lstat(os.path.join(folder, path))
            except (FileNotFoundError, NotADirectoryError):
                return None
            return (info.st_size, info.st_mtime) if S_ISREG(info.st_mode) else None

        return find


class HostStore(Store):
    """Files on a host from `hosts:`, reached through testinfra (local://, ssh://, paramiko://, …)."""

    def __init__(self, host: Host, timeout: float) -> None:
        """The testinfra host of a `hosts:` item; commands get `timeout` seconds unless told otherwise."""
        from opsverify.checks.host import machine  # testinfra is needed only for hosts

        self.name, self.timeout = host.name, max(1, int(timeout))
        self.where = f" on {host.name}"
        self.host = machine(host)

    def run(self, command: str, limit: float | None = None) -> Any:
        """Run a shell command there, stopped by coreutils `timeout` after `limit` seconds."""
        seconds = int(limit or self.timeout)
        try:
            return self.host.run(f"timeout {seconds} sh -c {shlex.quote(command)}")
        except Exception as exc:  # testinfra raises RuntimeError(CommandResult) when ssh itself fails
            detail = getattr(exc.args[0], "stderr", "") if exc.args else ""
            raise CheckError(f"cannot reach {self.name}: {shorten((detail or str(exc)).strip(), 200)}") from exc

    def checked(self, command: str, what: str, limit: float | None = None) -> Any:
        """Run a command that must succeed; CheckError with its first error line otherwise."""
        done = self.run(command, limit)
        if done.rc == 124:
            raise CheckError(f"{what} on {self.name} did not finish within {int(limit or self.timeout)}s")
        if done.rc != 0:
            raise CheckError(f"{what} failed on {self.name}: {_first(done)}")
        return done

    def _matches(self, pattern: str) -> list[BackupFile]:
        """Files matching the glob there, expanded by the host's shell."""
        if "\n" in pattern:
            raise CheckError("a backup path cannot contain a line break")
        loop = (f'for f in {_shell_glob(pattern)}; do [ -f "$f" ] && stat -c "%s %Y %n" -- "$f"; done; true')
        done = self.checked(loop, "listing the backups")
        return [self._parse(line) for line in done.stdout.splitlines() if line.strip()]

    def _parse(self, line: str) -> BackupFile:
        """`SIZE EPOCH PATH` from stat."""
        size, epoch, path = line.split(" ", 2)
        when = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
        return BackupFile(path.rsplit("/", 1)[-1], path, int(size), when)

    def stat(self, path: str) -> BackupFile | None:
        """Size and time there, or None."""
        done = self.run(f"[ -f {shlex.quote(path)} ] && stat -c '%s %Y %n' -- {shlex.quote(path)}")
        return self._parse(done.stdout.strip()) if done.rc == 0 and done.stdout.strip() else None

    def changed(self, path: str) -> dt.datetime | None:
        """The newest time find prints at or under the path there (find does not follow symlinks), or None."""
        quoted = shlex.quote(path)
        done = self.checked(f"if [ -e {quoted} ] || [ -L {quoted} ]; then find {quoted} -printf '%T@\\n' "
                            "| sort -n | tail -n 1; fi", f"reading the change time of {path}")
        text = done.stdout.strip()
        return dt.datetime.fromtimestamp(float(text), dt.timezone.utc) if text else None

    def chunks(self, file: BackupFile) -> Iterator[bytes]:
        """Read with dd one CHUNK per command: constant memory here, any testinfra backend there."""
        for index in range(-(-file.size // CHUNK)):
            done = self.checked(f"dd if={shlex.quote(file.path)} bs={CHUNK} skip={index} count=1 2>/dev/null",
                                f"reading {file.path}")
            if not done.stdout_bytes:
                return
            yield done.stdout_bytes

    def small(self, path: str, limit: int = 1 << 20) -> bytes | None:
        """The start of a small file there (head -c), or None."""
        done = self.run(f"head -c {limit} -- {shlex.quote(path)}")
        return done.stdout_bytes if done.rc == 0 else None

    def tail(self, path: str, size: int) -> bytes:
        """The file's last bytes (tail -c)."""
        return self.checked(f"tail -c {size} -- {shlex.quote(path)}", f"reading {path}").stdout_bytes

    def walk(self, folder: str) -> Iterator[tuple[str, int, float]]:
        """One `find` listing there (NUL-separated, so any file name survives), read record by record."""
        quoted = shlex.quote(folder)
        done = self.checked(f"[ -d {quoted} ] || {{ echo no such folder >&2; exit 2; }}; "
                            f"find -H {quoted} -type f -printf '%s %T@ %P\\0'", f"listing {folder}", LONG_COMMAND)
        data, start = done.stdout_bytes, 0
        while (end := data.find(b"\0", start)) != -1:
            size, epoch, path = data[start:end].split(b" ", 2)
            yield os.fsdecode(path), int(size), float(epoch)
            start = end + 1

    def offset(self) -> dt.timezone:
        """The host's UTC offset (from `date +%z`), for log lines written in its local time."""
        text = self.checked("date +%z", "reading the clock").stdout.strip()
        sign = -1 if text.startswith("-") else 1
        return dt.timezone(sign * dt.timedelta(hours=int(text[1:3]), minutes=int(text[3:5])))


def _shell_glob(pattern: str) -> str:
    """The glob for sh: every character quoted except the wildcards * ? [ ]."""
    return "".join(c if c in "*?[]" else shlex.quote(c) if not c.isalnum() and c not in "/._-" else c
                   for c in pattern)


def _folder(folder: str) -> None:
    """CheckError unless the folder exists here."""
    if not os.path.isdir(folder):
        raise CheckError(f"listing {folder} failed: no such folder")


def _entries(folder: str, below: str) -> Iterator[os.DirEntry[str]]:
    """The entries of one directory under the folder; a directory removed while walking has none."""
    try:
        with os.scandir(os.path.join(folder, below)) as entries:
            yield from entries
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CheckError(f"listing {folder} failed: {exc.strerror}: {exc.filename}") from exc


def _first(done: Any) -> str:
    """The first line a failed command printed."""
    text = scrub(done.stderr or done.stdout or "").strip()
    return shorten(text.splitlines()[0], 300) if text else f"exit status {done.rc}"


def store_for(backup: Backup, context: RunContext | None) -> tuple[Store, str]:
    """The store holding the backup set and the glob within it."""
    timeout = float(timeout_of(backup))
    if backup.path.startswith("s3://"):
        from opsverify.checks.backup.s3 import S3Store  # boto3 is needed only for S3

        bucket, _, key = backup.path[5:].partition("/")
        if not bucket or not key:
            raise CheckError(f"{backup.path} is not s3://bucket/prefix/pattern")
        return S3Store(bucket, timeout), key
    return store_on(backup.host, backup, context), backup.path


def store_on(host_name: str | None, backup: Backup, context: RunContext | None) -> Store:
    """The files of this machine (no host named) or of the `hosts` entry called `host_name`."""
    if host_name is None:
        return LocalStore()
    if context is None:
        raise CheckError(f"backup set {backup.name} is on host {host_name}; checking it needs the environment")
    host = context.named("hosts", host_name)
    if host is None:
        raise CheckError(f"there is no hosts entry named {host_name!r}")
    return HostStore(host, float(timeout_of(backup)))


def listing(backup: Backup, context: RunContext | None) -> tuple[Store, list[BackupFile]]:
    """The store and its files of the set, newest first; CheckError when none matches."""
    store, pattern = store_for(backup, context)
    files = store.list(pattern)
    if not files:
        where = "" if backup.path.startswith("s3://") else store.where  # the path names the bucket already
        raise NoFiles(f"no backup file matches {backup.path}{where}")
    return store, files


def time_allowed(backup: Backup) -> float:
    """A backup check's time in all: a whole-file read (LONG_COMMAND) or a restore drill's limit, and its listing."""
    drill = backup.restore.max_duration if backup.restore is not None else None
    return max(LONG_COMMAND, float(drill or 0)) + 2 * float(timeout_of(backup))


def backup_check(check: Callable[..., Result]) -> Callable[..., Result]:
    """A check over a backup set: never raises (see `probe`), bounded by `time_allowed`; a set without files fails."""

    @functools.wraps(check)
    def run(backup: Backup, *, context: RunContext | None = None) -> Result:
        """The check, with NoFiles as its failure."""
        try:
            return check(backup, context=context)
        except NoFiles as exc:
            return failed(str(exc), value=0, evidence={"path": backup.path})

    return budget(time_allowed)(probe(run))

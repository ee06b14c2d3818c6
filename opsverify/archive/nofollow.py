"""The archive's files and folders, opened below the archive folder without following a symlink.

Whoever can write `reports/` could plant a link (`reports/prod -> /etc`) and make a run write anywhere.
So every folder below the archive folder is opened relative to its parent's descriptor with O_NOFOLLOW
and O_DIRECTORY, every file with O_NOFOLLOW, and files are written atomically: a temporary file in the
same folder, fsync, rename, fsync of the folder. The archive folder itself may be a link its owner made.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # non-blocking: a planted FIFO never hangs
CHUNK = 1024 * 1024


class Planted(Exception):
    """A symlink, or something else than a folder or a plain file, where the archive keeps its own."""


def planted(path: Path) -> Planted:
    """The error naming what is at `path`: a symlink and its target, or the kind of thing it is."""
    try:
        return Planted(f"{path} is a symlink to {os.readlink(path)}; the archive never follows a link "
                       "it did not create: remove it")
    except OSError:
        return Planted(f"{path} is not a folder or a plain file as the archive expects: move it away")


@contextmanager
def folder(root: Path, *parts: str, create: bool = False) -> Iterator[int]:
    """A descriptor of root/parts…, each part opened without following a link (and made first when `create`)."""
    if create:
        root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for n, part in enumerate(parts):
            if create:
                with suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=fd)
            inner = _open_folder(fd, part, root.joinpath(*parts[:n + 1]))
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def _open_folder(parent: int, name: str, path: Path) -> int:
    """Open folder `name` in `parent`; Planted when it is a link or not a folder."""
    try:
        return os.open(name, FOLDER, dir_fd=parent)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise planted(path) from None
        raise


def open_file(dirfd: int, name: str, flags: int, path: Path) -> int:
    """A descriptor of file `name` in the folder (made 0644 with O_CREAT), never through a link: Planted for one."""
    try:
        return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=dirfd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise planted(path) from None
        raise


def refuse_link(dirfd: int, name: str, path: Path) -> None:
    """Planted when `name` in the folder is a symlink or not a plain file; nothing when it is absent."""
    try:
        found = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(found.st_mode):
        raise planted(path)


def write(dirfd: int, name: str, chunks: Iterable[bytes]) -> None:
    """Write a file atomically: a temporary file beside it, fsync, rename over `name`, fsync the folder."""
    temporary = f".{name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                 dir_fd=dirfd)
    try:
        try:
            for chunk in chunks:
                _write_all(fd, chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, name, src_dir_fd=dirfd, dst_dir_fd=dirfd)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary, dir_fd=dirfd)
        raise
    os.fsync(dirfd)


def chunks_of(path: Path) -> Iterator[bytes]:
    """A file's bytes, 1 MiB at a time (for copying a report written elsewhere into the archive)."""
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


def append(dirfd: int, name: str, data: bytes, *, sync: bool = True) -> None:
    """Append data in one write on an O_APPEND descriptor that never follows a link; with sync, fsync it (and a new file's folder)."""
    try:
        os.stat(name, dir_fd=dirfd, follow_symlinks=False)
        created = False
    except FileNotFoundError:
        created = True
    fd = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=dirfd)
    try:
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(errno.ENOSPC, f"short write to {name}: {written} of {len(data)} bytes")
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
    if created and sync:
        os.fsync(dirfd)


def _write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is written (a full disk raises OSError)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


@contextmanager
def opened(dirfd: int, name: str, flags: int = READ) -> Iterator[int]:
    """A descriptor of file `name` in the folder, never through a link; ELOOP for a link."""
    fd = os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=dirfd)
    try:
        yield fd
    finally:
        os.close(fd)


def read(dirfd: int, name: str) -> bytes:
    """A plain file's bytes, read without following a link."""
    return b"".join(contents(dirfd, name))


def sha256(dirfd: int, name: str) -> str:
    """SHA-256 hex of a plain file in the folder, read without following a link."""
    digest = hashlib.sha256()
    for chunk in contents(dirfd, name):
        digest.update(chunk)
    return digest.hexdigest()


def contents(dirfd: int, name: str) -> Iterator[bytes]:
    """A plain file's bytes, 1 MiB at a time, never through a link, a FIFO or a device."""
    with opened(dirfd, name) as fd:
        _plain(fd, name)
        while chunk := os.read(fd, CHUNK):
            yield chunk


def _plain(fd: int, name: str) -> None:
    """An OSError unless the descriptor is a plain file (a FIFO or a device swapped in is never read)."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise OSError(errno.EINVAL, f"{name} is not a plain file")


def tree(dirfd: int, prefix: str = "") -> Iterator[tuple[str, str, int, str]]:
    """Everything below a folder, depth first: (relative posix path, kind, its folder's descriptor, its name).

    kind is "file" (a plain file), "link" (a symlink: never entered or read) or "other" (a FIFO, socket,
    device); the descriptor is open only until the next item.
    """
    with os.scandir(dirfd) as entries:
        found = sorted(entries, key=lambda e: e.name)
    for entry in found:
        path = prefix + entry.name
        if entry.is_symlink():
            yield path, "link", dirfd, entry.name
        elif entry.is_dir(follow_symlinks=False):
            inner = os.open(entry.name, FOLDER, dir_fd=dirfd)
            try:
                yield from tree(inner, path + "/")
            finally:
                os.close(inner)
        else:
            yield path, "file" if entry.is_file(follow_symlinks=False) else "other", dirfd, entry.name

"""Real small disks: a tmpfs of a given size (root only; skipped where mount is not permitted), and filling one."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHUNK = 64 * 1024
PAGE = 4096  # tmpfs hands out whole pages


@contextmanager
def tmpfs(folder: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    """Mount a tmpfs of `size` (e.g. "4m") on a new folder; unmounted afterwards. Skips where mounting is refused."""
    folder.mkdir(parents=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (this test needs root or CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def free(folder: Path) -> int:
    """Bytes free for an unprivileged writer on folder's file system."""
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def fill(folder: Path, leave: int = 0) -> Path:
    """Write zeros into folder/fill until at most `leave` bytes stay free; the file, to remove for room again."""
    path = folder / "fill"
    with open(path, "ab", buffering=0) as out:
        while (room := free(folder) - leave) >= PAGE:
            try:
                out.write(b"\0" * min(CHUNK, room - room % PAGE))
            except OSError:  # full
                break
    return path

"""Decrypting a backup as a stream with the real gpg or age; the key reaches the tool on a pipe, never in argv.

gpg runs in a throwaway home folder (a `key_file` is imported there; the agent is stopped after), reads
the passphrase from `--passphrase-fd`, and is never asked to prompt. age reads its identities from
`identity_file`, or from a pipe holding `key`. The plaintext is read as it comes out, so a backup of any
size is checked in constant memory; nothing is written to disk.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator
from typing import IO

from opsverify.checks import CheckError
from opsverify.checks.backup.streams import CHUNK, Corrupt
from opsverify.spec.models.backups import Backup

# what the tools say when the key, not the data, is wrong: the check could not be made
KEY_PROBLEMS = ("no secret key", "bad session key", "bad passphrase", "no identity matched", "incorrect passphrase",
                "failed to read", "no identities", "passphrase-encrypted", "invalid identity", "malformed")
IMPORT_TIMEOUT = 60  # seconds for importing a key_file or stopping the agent


@contextlib.contextmanager
def decrypted(backup: Backup, chunks: Iterable[bytes]) -> Iterator[Iterator[bytes]]:
    """The plaintext of the encrypted chunks, read as the tool writes it; the tool is stopped on leaving."""
    tool = backup.encryption
    if shutil.which(tool) is None:
        raise CheckError(f"{tool} is not installed on the machine running opsverify: the backup cannot be decrypted")
    with tempfile.TemporaryDirectory(prefix="opsv-gpg-") as home, _key_pipe(backup) as key_fd, \
            tempfile.TemporaryFile() as errors:
        argv = _gpg(backup, home, key_fd) if tool == "gpg" else _age(backup, key_fd)
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                                   pass_fds=(key_fd,) if key_fd is not None else (), start_new_session=True)
        feeder = _Feeder(chunks, process)
        try:
            yield _plaintext(tool, process, feeder, errors)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            feeder.join()
            if tool == "gpg":
                subprocess.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"], capture_output=True,
                               timeout=IMPORT_TIMEOUT, check=False)


@contextlib.contextmanager
def _key_pipe(backup: Backup) -> Iterator[int | None]:
    """The read end of a pipe holding `key` (a passphrase or an age identity), or None without one."""
    if backup.key is None:
        yield None
        return
    read, write = os.pipe()
    try:
        os.write(write, backup.key.reveal().encode() + b"\n")  # a key is far smaller than a pipe's buffer
        os.close(write)
        write = -1
        yield read
    finally:
        os.close(read)
        if write != -1:
            os.close(write)


def _gpg(backup: Backup, home: str, key_fd: int | None) -> list[str]:
    """gpg --decrypt in the throwaway home, with the key_file imported there first."""
    base = ["gpg", "--homedir", home, "--batch", "--no-tty", "--quiet", "--no-permission-warning"]
    if backup.key_file is not None:
        done = subprocess.run([*base, "--import", backup.key_file], capture_output=True, timeout=IMPORT_TIMEOUT,
                              check=False)
        if done.returncode != 0:
            raise CheckError(f"gpg cannot import key_file {backup.key_file}: {_said(done.stderr)}")
    passphrase = ["--pinentry-mode", "loopback", "--passphrase-fd", str(key_fd)] if key_fd is not None else []
    return [*base, *passphrase, "--decrypt"]


def _age(backup: Backup, key_fd: int | None) -> list[str]:
    """age --decrypt with the identity file, or the identity on its pipe."""
    identity = backup.identity_file if backup.identity_file is not None else f"/dev/fd/{key_fd}"
    return ["age", "--decrypt", "-i", identity]


class _Feeder(threading.Thread):
    """Writes the encrypted chunks into the tool's input; keeps an error of the source to raise after."""

    def __init__(self, chunks: Iterable[bytes], process: subprocess.Popen[bytes]) -> None:
        super().__init__(daemon=True)
        self.chunks, self.process = chunks, process
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        """Feed until the end or until the tool stops reading."""
        stdin = self.process.stdin
        try:
            for chunk in self.chunks:
                stdin.write(chunk)
        except (BrokenPipeError, ValueError):
            pass  # the tool stopped (or was stopped) before the end: its exit status says why
        except Exception as exc:  # noqa: BLE001 - reading the backup failed: raised by the reader
            self.error = exc
        finally:
            with contextlib.suppress(BrokenPipeError, ValueError):
                stdin.close()


def _plaintext(tool: str, process: subprocess.Popen[bytes], feeder: _Feeder, errors: IO[bytes]) -> Iterator[bytes]:
    """The tool's output; at its end, a key problem as CheckError, damaged data as Corrupt."""
    while chunk := process.stdout.read(CHUNK):
        yield chunk
    status = process.wait()
    feeder.join()
    if feeder.error is not None:
        raise feeder.error
    if status != 0:
        errors.seek(0)
        said = _said(errors.read())
        if any(problem in said.lower() for problem in KEY_PROBLEMS):
            raise CheckError(f"{tool} cannot decrypt it with the key given: {said}")
        raise Corrupt(f"{tool} could not decrypt it to the end: {said}: the encrypted data is damaged or truncated")


def _said(stderr: bytes) -> str:
    """A tool's error output on one line."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return "; ".join(lines[-2:]) if lines else "no message"

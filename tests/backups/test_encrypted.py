"""Encrypted backups with the real gpg and age: undeclared fails, declared is decrypted as a stream and verified,
declared without a key is an error; the key never reaches a tool's argv or the result."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from opsverify.checks.backup.integrity import integrity
from opsverify.result import Result, Status
from tests.backups.conftest import Shelf, Source, backup

PASSPHRASE = "opsv-backup-passphrase-4f1c"
_LATER = itertools.count()
needs_tools = pytest.mark.skipif(not (shutil.which("gpg") and shutil.which("age")), reason="needs gpg and age")
pytestmark = needs_tools


def newest(shelf: Shelf, name: str, data: bytes, **keys: object) -> Result:
    """Integrity of the set (plain pg_dump SQL inside) once this file is its newest."""
    shelf.put(name, data, dt.timedelta(hours=1) - dt.timedelta(minutes=next(_LATER)))
    return integrity(backup(shelf.glob(), format="pg_dump", **keys))


def gpg_symmetric(data: bytes, home: Path, passphrase: str = PASSPHRASE) -> bytes:
    """`gpg -c` as a backup script runs it (passphrase on a pipe)."""
    read, write = os.pipe()
    os.write(write, passphrase.encode() + b"\n")
    os.close(write)
    try:
        return subprocess.run(["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback",
                               "--passphrase-fd", str(read), "-c", "-o", "-"], input=data, pass_fds=(read,),
                              capture_output=True, check=True).stdout
    finally:
        os.close(read)


@pytest.fixture
def gnupg(tmp_path: Path):  # noqa: ANN201 - the home folder
    """A throwaway GnuPG home, its agent stopped afterwards."""
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    yield home
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True, check=False)


def test_an_encrypted_file_where_a_plain_gzip_dump_is_promised_fails(shelf: Shelf, pg_source: Source,
                                                                     gnupg: Path) -> None:
    sealed = gpg_symmetric(gzip.compress(pg_source.dump().read_bytes()), gnupg)
    result = newest(shelf, "db-1.sql.gz", sealed)  # Frappe names its GPG files *.sql.gz
    assert result.status is Status.FAILED
    assert result.reason == ("db-1.sql.gz is GPG-encrypted, but the item declares no encryption: it is not the "
                             "pg_dump it promises (declare encryption: gpg or age, with its key, to verify it)")


def test_declared_gpg_with_its_passphrase_is_decrypted_and_verified(shelf: Shelf, pg_source: Source,
                                                                    gnupg: Path) -> None:
    dump = gzip.compress(pg_source.dump().read_bytes())
    result = newest(shelf, "db-1.sql.gz.gpg", gpg_symmetric(dump, gnupg), encryption="gpg", key=PASSPHRASE)
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith("db-1.sql.gz.gpg read whole: decrypted with gpg; gzip OK; plain pg_dump SQL "
                                    "ends with its trailer, ")
    assert result.evidence["found"] == "GPG-encrypted gzip-compressed plain pg_dump SQL"
    cut = gzip.compress(pg_source.dump().read_bytes())[:len(dump) // 2]  # the dump inside is truncated
    truncated = newest(shelf, "db-2.sql.gz.gpg", gpg_symmetric(cut, gnupg), encryption="gpg", key=PASSPHRASE)
    assert truncated.status is Status.FAILED
    assert truncated.reason.startswith("db-2.sql.gz.gpg: the gzip data ends early, after ")


def test_a_damaged_or_wrongly_keyed_gpg_file_fails_or_errors(shelf: Shelf, pg_source: Source, gnupg: Path) -> None:
    sealed = gpg_symmetric(gzip.compress(pg_source.dump().read_bytes()), gnupg)
    wrong = newest(shelf, "db-1.sql.gz.gpg", sealed, encryption="gpg", key="not-the-passphrase")
    assert wrong.status is Status.ERROR
    assert wrong.reason.startswith("gpg cannot decrypt it with the key given: gpg: decryption failed: "), wrong.reason
    cut = newest(shelf, "db-2.sql.gz.gpg", sealed[:len(sealed) * 2 // 3], encryption="gpg", key=PASSPHRASE)
    assert cut.status is Status.FAILED
    assert cut.reason.startswith("db-2.sql.gz.gpg: gpg could not decrypt it to the end: gpg: "), cut.reason
    assert cut.reason.endswith(": the encrypted data is damaged or truncated"), cut.reason


def test_declared_encryption_without_a_key_is_an_error_and_a_plain_file_fails(shelf: Shelf, pg_source: Source,
                                                                              gnupg: Path) -> None:
    sealed = gpg_symmetric(pg_source.dump().read_bytes(), gnupg)
    keyless = newest(shelf, "db-1.sql.gpg", sealed, encryption="gpg")
    assert (keyless.status, keyless.reason) == (Status.ERROR, "db-1.sql.gpg is GPG-encrypted and no key or key_file "
                                                              "is given: its contents cannot be checked")
    plain = newest(shelf, "db-2.sql.gz", gzip.compress(pg_source.dump().read_bytes()), encryption="gpg",
                   key=PASSPHRASE)
    assert (plain.status, plain.reason) == (Status.FAILED, "db-2.sql.gz: encryption is gpg, but the file is not "
                                                           "encrypted (gzip-compressed data)")


def test_a_public_key_encrypted_backup_is_read_with_its_secret_key_file(shelf: Shelf, pg_source: Source,
                                                                        gnupg: Path, tmp_path: Path) -> None:
    spec = textwrap.dedent(f"""\
        Key-Type: EDDSA
        Key-Curve: ed25519
        Subkey-Type: ECDH
        Subkey-Curve: cv25519
        Name-Email: backups@example.org
        Passphrase: {PASSPHRASE}
        Expire-Date: 0
        %commit
        """)
    gpg = ["gpg", "--homedir", str(gnupg), "--batch", "--pinentry-mode", "loopback"]
    subprocess.run([*gpg, "--gen-key"], input=spec.encode(), capture_output=True, check=True, timeout=60)
    key_file = tmp_path / "backups.key"
    subprocess.run([*gpg, "--passphrase", PASSPHRASE, "--export-secret-keys", "-a", "-o", str(key_file)],
                   capture_output=True, check=True)
    sealed = subprocess.run([*gpg, "--trust-model", "always", "-r", "backups@example.org", "-e", "-o", "-"],
                            input=pg_source.dump().read_bytes(), capture_output=True, check=True).stdout
    result = newest(shelf, "db-1.sql.gpg", sealed, encryption="gpg", key_file=str(key_file), key=PASSPHRASE)
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith("db-1.sql.gpg read whole: decrypted with gpg; plain pg_dump SQL ends with its")
    without = newest(shelf, "db-2.sql.gpg", sealed, encryption="gpg", key=PASSPHRASE)  # a passphrase, no key
    assert without.status is Status.ERROR
    assert without.reason.startswith("gpg cannot decrypt it with the key given: "), without.reason


def test_age_with_an_identity_file_or_the_identity_itself(shelf: Shelf, pg_source: Source, tmp_path: Path) -> None:
    identity = tmp_path / "backups.agekey"
    subprocess.run(["age-keygen", "-o", str(identity)], capture_output=True, check=True)
    recipient = subprocess.run(["age-keygen", "-y", str(identity)], capture_output=True, check=True,
                               text=True).stdout.strip()
    sealed = subprocess.run(["age", "-r", recipient], input=gzip.compress(pg_source.dump().read_bytes()),
                            capture_output=True, check=True).stdout
    by_file = newest(shelf, "db-1.sql.gz.age", sealed, encryption="age", identity_file=str(identity))
    assert by_file.status is Status.PASSED, by_file.reason
    assert by_file.reason.startswith("db-1.sql.gz.age read whole: decrypted with age; gzip OK; plain pg_dump SQL")
    secret = next(line for line in identity.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-"))
    by_key = newest(shelf, "db-2.sql.gz.age", sealed, encryption="age", key=secret)
    assert by_key.status is Status.PASSED, by_key.reason
    other = tmp_path / "other.agekey"
    subprocess.run(["age-keygen", "-o", str(other)], capture_output=True, check=True)
    wrong = newest(shelf, "db-3.sql.gz.age", sealed, encryption="age", identity_file=str(other))
    assert wrong.status is Status.ERROR
    assert wrong.reason.startswith("age cannot decrypt it with the key given: "), wrong.reason
    mixed = newest(shelf, "db-4.sql.gz.age", sealed, encryption="gpg", key=PASSPHRASE)
    assert (mixed.status, mixed.reason) == (Status.FAILED, "db-4.sql.gz.age: encryption is gpg, but the file is "
                                                           "age-encrypted")


def test_the_key_reaches_the_tool_on_a_pipe_never_in_its_arguments_or_the_result(
        shelf: Shelf, pg_source: Source, gnupg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log, bin_ = tmp_path / "argv.log", tmp_path / "bin"
    bin_.mkdir()
    spy = bin_ / "gpg"  # the real gpg, its command line written down first
    spy.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\nexec {shutil.which("gpg")} "$@"\n')
    spy.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_}:{os.environ['PATH']}")
    sealed = gpg_symmetric(pg_source.dump().read_bytes(), gnupg)
    result = newest(shelf, "db-1.sql.gpg", sealed, encryption="gpg", key=PASSPHRASE)
    assert result.status is Status.PASSED, result.reason
    argv = log.read_text()
    assert "--passphrase-fd" in argv and "--decrypt" in argv
    assert PASSPHRASE not in argv
    assert PASSPHRASE not in repr(result)

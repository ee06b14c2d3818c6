"""What a backup's content must look like, and reading it all once: dumps, archives, SQLite databases."""

from __future__ import annotations

import configparser
import io
import json
import re
import shutil
import sqlite3
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opsverify.checks import plural
from opsverify.checks.backup import mongoarchive, pgcustom
from opsverify.checks.backup.streams import (CHUNK, Corrupt, Peek, Reader, Tail, compression, content,
                                             decompressed, encryption)
from opsverify.spec.units import format_bytes

KINDS = {  # content kind -> (article, noun)
    "pg_custom": ("a", "pg_dump custom-format archive"), "pg_dump": ("", "plain pg_dump SQL"),
    "mongodump": ("a", "mongodump archive"),
    "mysqldump": ("", "mysqldump SQL"), "sqlite_sql": ("a", "SQLite .dump script"),
    "sqlite": ("a", "SQLite database"), "tar": ("a", "tar archive"), "zip": ("a", "zip archive"),
    "text": ("", "text"), "binary": ("", "unrecognised binary data"), "encrypted": ("", "encrypted data"),
}
ACCEPTS = {  # declared format -> content kinds it may hold
    "pg_dump": {"pg_dump", "text"}, "pg_custom": {"pg_custom"}, "mongodump": {"mongodump"},
    "mysqldump": {"mysqldump", "text"},
    "sqlite": {"sqlite", "sqlite_sql"}, "tar": {"tar"}, "zip": {"zip"},
    "json": {"text"}, "yaml": {"text"}, "ini": {"text"},
}
PARSED = ("json", "yaml", "ini")  # text formats verified by parsing them (in Python, wherever the file is)
READ_HERE = (*PARSED, "mongodump")  # formats no tool on a host can check: streamed here, wherever the file is
MAX_PARSED = 64 << 20  # bytes of JSON or ini held to parse them (YAML is parsed as a stream)
TRAILERS = {
    "pg_dump": (re.compile(rb"-- PostgreSQL database (cluster )?dump complete"),
                'no "-- PostgreSQL database dump complete" line at its end: pg_dump did not finish'),
    "mysqldump": (re.compile(rb"-- Dump completed"),
                  'no "-- Dump completed" line at its end: the dump did not finish (or ran with --skip-comments)'),
}
MAX_LAYERS = 3


@dataclass
class Finding:
    """The verdict on one backup's bytes: ok, corrupt, encrypted or unverifiable, and what was read."""

    status: str  # ok | corrupt | encrypted | unverifiable
    detail: str
    layers: list[str] = field(default_factory=list)
    kind: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    sealed: str = ""  # the encryption it was decrypted from: GPG, age

    @property
    def described(self) -> str:
        """The content with its compression and encryption: "GPG-encrypted gzip-compressed plain pg_dump SQL"."""
        article, name = KINDS.get(self.kind, ("", self.kind or "data"))
        layers = f"{'+'.join(self.layers)}-compressed" if self.layers else ""
        sealed = f"{self.sealed}-encrypted" if self.sealed else ""
        if sealed:
            article = ""
        return " ".join(part for part in (article, sealed, layers, name) if part)


class Unverifiable(Exception):
    """The content cannot be checked here (too big to parse, a compression Python cannot read)."""


def noun(kind: str) -> str:
    """A content kind in words, without an article."""
    return KINDS.get(kind, ("", kind))[1]


def mismatch(declared: str, finding: Finding) -> str | None:
    """Why the content is not what `format` says, or None when it fits."""
    if declared == "gzip" and finding.layers[:1] != ["gzip"]:
        return f"format is gzip, but the file is {finding.described}"
    if declared in ACCEPTS and finding.kind not in ACCEPTS[declared]:
        return f"format is {declared}, but the file is {finding.described}"
    return None


def trailer_problem(kind: str, tail: bytes) -> str | None:
    """Why a SQL dump's end shows it is incomplete, or None when its trailer is there."""
    if kind in TRAILERS:
        pattern, problem = TRAILERS[kind]
        return None if pattern.search(tail) else problem
    if kind == "sqlite_sql":
        lines = [line.strip() for line in tail.splitlines()]
        statements = [line for line in lines if line and not line.startswith(b"--")]
        if not statements or statements[-1] != b"COMMIT;":
            return "its last statement is not COMMIT;: the .dump did not finish"
    return None


def inspect(chunks: Iterable[bytes], declared: str, local_path: str | None = None) -> Finding:
    """Read a backup once, start to end: encryption, compression layers, then its content by kind."""
    layers: list[str] = []
    try:
        return _inspect(Peek(chunks), declared, local_path, layers)
    except Corrupt as exc:  # a layer broke while its first bytes were being looked at
        return Finding("corrupt", str(exc), layers)


def unwrap(data: Peek, layers: list[str]) -> Peek:
    """The content under the compression layers, which are appended to `layers`; ValueError for zstd/lz4."""
    while (layer := compression(data.head())) and len(layers) < MAX_LAYERS:
        if layer in ("zstd", "lz4"):
            layers.append(layer)
            raise ValueError(f"it is {layer}-compressed, which opsverify cannot read in Python")
        layers.append(layer)
        data = Peek(decompressed(layer, data))
    return data


def _inspect(data: Peek, declared: str, local_path: str | None, layers: list[str]) -> Finding:
    """inspect(), with the layers found so far kept in `layers`."""
    if not data.head():
        return Finding("corrupt", "the file is empty", layers, "")
    try:
        data = unwrap(data, layers)
    except ValueError as exc:
        return Finding("unverifiable", str(exc), layers)
    head = data.head()
    if (locked := encryption(head)) is not None:
        return Finding("encrypted", f"{locked}-encrypted", layers, "encrypted")
    finding = Finding("ok", "", layers, content(head))
    problem = mismatch(declared, finding)
    if problem is not None:
        finding.status, finding.detail = "corrupt", problem
        return finding
    reader = _READERS.get(declared if declared in ("gzip", *PARSED) else finding.kind, _read_to_end)
    try:
        finding.detail, finding.evidence = reader(data, finding.kind, local_path if not layers else None)
    except Corrupt as exc:
        finding.status, finding.detail = "corrupt", str(exc)
    except Unverifiable as exc:
        finding.status, finding.detail = "unverifiable", str(exc)
    if finding.status == "ok" and not layers and finding.kind in ("binary", "text") and declared in ("file", "opaque"):
        finding.status = "unverifiable"
        finding.detail = f"it is {finding.described}, which has no structure opsverify can check"
    return finding


def _read_to_end(data: Iterable[bytes], kind: str, _path: str | None) -> tuple[str, dict[str, Any]]:
    """Drain the stream (its compression layers check themselves); dumps must end with their trailer."""
    tail = Tail(data)
    tail.drain()
    problem = trailer_problem(kind, tail.kept)
    if problem is not None:
        raise Corrupt(problem)
    ending = " ends with its trailer" if kind in TRAILERS else " ends with COMMIT;" if kind == "sqlite_sql" else ""
    return f"{noun(kind)}{ending}, {format_bytes(tail.total)} read", {"bytes_read": tail.total}


def _only_layers(data: Iterable[bytes], _kind: str, _path: str | None) -> tuple[str, dict[str, Any]]:
    """Format gzip: the gzip layer is all there is to check."""
    tail = Tail(data, 0)
    tail.drain()
    return f"CRC and length match, {format_bytes(tail.total)} uncompressed", {"bytes_read": tail.total}


def _json(data: Iterable[bytes], _kind: str, _path: str | None) -> tuple[str, dict[str, Any]]:
    """The whole text parsed as JSON."""
    text, size = _held(data, "JSON")
    try:
        json.loads(text)
    except ValueError as exc:
        raise Corrupt(f"not valid JSON: {exc}") from None
    return f"JSON parsed whole ({format_bytes(size)})", {"bytes_read": size}


def _yaml(data: Iterable[bytes], _kind: str, _path: str | None) -> tuple[str, dict[str, Any]]:
    """Every YAML event parsed, as a stream (no document is built)."""
    tail = Tail(data, 0)
    try:
        events = sum(1 for _ in yaml.parse(io.TextIOWrapper(io.BufferedReader(Reader(tail)), encoding="utf-8"),
                                           Loader=yaml.SafeLoader))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise Corrupt(f"not valid YAML: {' '.join(str(exc).split())}") from None
    return f"YAML parsed whole ({events} events, {format_bytes(tail.total)})", {"bytes_read": tail.total}


def _ini(data: Iterable[bytes], _kind: str, _path: str | None) -> tuple[str, dict[str, Any]]:
    """The whole text parsed as an ini file (sections, keys, no interpolation)."""
    text, size = _held(data, "ini")
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise Corrupt(f"not a valid ini file: {str(exc).splitlines()[0]}") from None
    return f"ini file parsed whole ({len(parser.sections())} sections)", {"bytes_read": size}


def _held(data: Iterable[bytes], what: str) -> tuple[str, int]:
    """The whole content as text, up to MAX_PARSED bytes."""
    parts, size = [], 0
    for chunk in data:
        size += len(chunk)
        if size > MAX_PARSED:
            raise Unverifiable(f"it is over {format_bytes(MAX_PARSED)}, more {what} than opsverify parses in memory")
        parts.append(chunk)
    try:
        return b"".join(parts).decode("utf-8-sig"), size
    except UnicodeDecodeError as exc:
        raise Corrupt(f"not valid {what}: not UTF-8 text at byte {exc.start}") from None


def _pg_custom(data: Iterable[bytes], _kind: str, _path: str | None) -> tuple[str, dict[str, Any]]:
    """Walk the whole custom-format archive."""
    archive = pgcustom.walk(Reader(data))
    inflated = "inflated" if archive.compression == "gzip" else f"{archive.compression}, not inflated"
    return (f"pg_dump archive {archive.version} of database {archive.database or '?'}: all "
            f"{archive.blocks} data blocks read ({inflated}, {format_bytes(archive.data_bytes)})",
            {"archive_version": archive.version, "compression": archive.compression, "dumped_by": archive.dumped_by,
             "toc_entries": archive.entries, "data_blocks": archive.blocks})


def _mongodump(data: Iterable[bytes], _kind: str, _path: str | None) -> tuple[str, dict[str, Any]]:
    """Walk the whole mongodump archive: every collection's documents and its end."""
    archive = mongoarchive.walk(Reader(data))
    documents = sum(archive.documents.values())
    counts = ", ".join(f"{name}: {count}" for name, count in sorted(archive.documents.items())[:10])
    return (f"mongodump archive of MongoDB {archive.server_version or '?'}: {plural(len(archive.documents), 'collection')}, "
            f"{plural(documents, 'document')} ({format_bytes(archive.data_bytes)}), every collection complete ({counts})",
            {"server_version": archive.server_version, "tool_version": archive.tool_version,
             "documents": dict(sorted(archive.documents.items())[:50])})


def _tar(data: Iterable[bytes], _kind: str, _path: str | None) -> tuple[str, dict[str, Any]]:
    """Every member's header and data, then the end-of-archive marker (two zero blocks)."""
    tail = Tail(data, 1024)
    members = total = 0
    try:
        with tarfile.open(fileobj=Reader(tail), mode="r|") as archive:
            for member in archive:
                members += 1
                if member.isfile():
                    stream = archive.extractfile(member)
                    while block := stream.read(CHUNK):
                        total += len(block)
                    if stream.tell() != member.size:
                        raise Corrupt(f"tar member {member.name} ends early: the archive is truncated")
    except tarfile.TarError as exc:
        raise Corrupt(f"the tar archive is damaged after {_members(members)}: {exc}") from None
    tail.drain()
    if tail.kept.strip(b"\x00") or len(tail.kept) < 1024:
        raise Corrupt(f"the tar archive has no end-of-archive marker after {_members(members)}: it is truncated")
    return f"tar archive: {_members(members)} ({format_bytes(total)}) read", {"members": members, "bytes_read": total}


def _members(count: int) -> str:
    """"1 member", "3 members"."""
    return f"{count} member{'' if count == 1 else 's'}"


def _zip(data: Iterable[bytes], _kind: str, path: str | None) -> tuple[str, dict[str, Any]]:
    """Every member's CRC (zip needs its central directory, at the end: a seekable copy is used)."""
    with _seekable(data, path) as local:
        try:
            with zipfile.ZipFile(local) as archive:
                bad, members = archive.testzip(), len(archive.infolist())
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise Corrupt(f"not a readable zip archive ({exc}): it is truncated or damaged") from None
    if bad is not None:
        raise Corrupt(f"zip member {bad} fails its CRC check: the archive is corrupt")
    return f"zip archive: all {members} members pass their CRC check", {"members": members}


def _sqlite(data: Iterable[bytes], _kind: str, path: str | None) -> tuple[str, dict[str, Any]]:
    """PRAGMA integrity_check on a private copy (the backup itself is never opened by SQLite)."""
    with _seekable(data, None) as copy:
        try:
            with closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True)) as db:
                rows = [row[0] for row in db.execute("PRAGMA integrity_check")]
                tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise Corrupt(f"SQLite cannot read the database: {exc}") from None
    if rows != ["ok"]:
        raise Corrupt(f"PRAGMA integrity_check found {len(rows)} problems; first: {rows[0]}")
    return (f"SQLite database passes PRAGMA integrity_check ({tables} table{'' if tables == 1 else 's'})",
            {"tables": tables})


@contextmanager
def _seekable(data: Iterable[bytes], path: str | None) -> Iterator[str]:
    """A local file with these bytes: `path` itself when given, else a temporary copy, removed after."""
    if path is not None:
        yield path
        return
    folder = tempfile.mkdtemp(prefix="opsverify-backup-")
    try:
        copy = Path(folder) / "copy"
        with open(copy, "wb") as out:
            for chunk in data:
                out.write(chunk)
        yield str(copy)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_READERS = {"gzip": _only_layers, "pg_custom": _pg_custom, "mongodump": _mongodump, "tar": _tar, "zip": _zip, "sqlite": _sqlite,
            "json": _json, "yaml": _yaml, "ini": _ini}

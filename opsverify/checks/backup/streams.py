"""Streaming pieces for reading a backup once, in constant memory: sniffing, decompression, adapters."""

from __future__ import annotations

import bz2
import io
import lzma
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

CHUNK = 1 << 20  # bytes read, and decompressed bytes produced, per step
HEAD = 4096  # bytes looked at to recognise a format

COMPRESSIONS = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz",
                b"\x28\xb5\x2f\xfd": "zstd", b"\x04\x22\x4d\x18": "lz4"}
_OPENPGP_VERSIONS = {1: (3, 6), 3: (4, 5, 6), 18: (1, 2), 20: (1,)}  # encrypted packet tag -> body versions


class Corrupt(Exception):
    """The backup's bytes are damaged or incomplete; the message says how, for a person."""


def encryption(head: bytes) -> str | None:
    """"GPG" or "age" when the bytes start like an encrypted file, else None."""
    if head.startswith((b"age-encryption.org/v1", b"-----BEGIN AGE ENCRYPTED FILE-----")):
        return "age"
    if head.startswith(b"-----BEGIN PGP MESSAGE-----"):
        return "GPG"
    return "GPG" if _openpgp_encrypted(head) else None


def _openpgp_encrypted(head: bytes) -> bool:
    """Whether the bytes start with an OpenPGP packet of an encrypted message (RFC 4880 / 9580 framing)."""
    if len(head) < 3 or not head[0] & 0x80:
        return False
    first = head[0]
    if first & 0x40:  # new format: tag in 6 bits, then a 1, 2 or 5 octet length (or a partial length)
        tag, octet = first & 0x3F, head[1]
        skip = 1 if octet < 192 or 224 <= octet < 255 else 2 if octet < 224 else 5
    else:  # old format: tag in 4 bits, length type in 2
        tag, skip = (first >> 2) & 0x0F, {0: 1, 1: 2, 2: 4, 3: 0}[first & 0x03]
    body = 1 + skip
    return tag in _OPENPGP_VERSIONS and len(head) > body and head[body] in _OPENPGP_VERSIONS[tag]


def compression(head: bytes) -> str | None:
    """The compression the bytes start with (gzip, bzip2, xz, zstd, lz4), or None."""
    return next((name for magic, name in COMPRESSIONS.items() if head.startswith(magic)), None)


def content(head: bytes) -> str:
    """What uncompressed bytes hold: pg_custom, mongodump, sqlite, zip, tar, pg_dump, mysqldump, sqlite_sql, text or
    binary."""
    if head.startswith(b"PGDMP"):
        return "pg_custom"
    if head.startswith(b"\x6d\xe2\x99\x81"):  # mongodump --archive's magic number
        return "mongodump"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head[257:262] == b"ustar":
        return "tar"
    text = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    if b"-- PostgreSQL database dump" in head[:512]:
        return "pg_dump"
    if re.search(rb"(^|\n)-- (MySQL|MariaDB) dump", head[:1024]):
        return "mysqldump"
    if text.startswith((b"BEGIN TRANSACTION;", b"PRAGMA foreign_keys=OFF;")):
        return "sqlite_sql"
    return "text" if _looks_like_text(head) else "binary"


def _looks_like_text(head: bytes) -> bool:
    """Mostly printable UTF-8 without NUL bytes."""
    if not head or b"\x00" in head:
        return not head
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 4  # a character cut at the end of the sample
    return True


class Peek:
    """An iterator of byte chunks whose first bytes can be looked at without losing them."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        """Wrap the chunks; nothing is read yet."""
        self._chunks = iter(chunks)
        self._held = b""

    def head(self, size: int = HEAD) -> bytes:
        """The first `size` bytes (fewer at the end of the stream), kept for iteration."""
        while len(self._held) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._held += chunk
        return self._held[:size]

    def __iter__(self) -> Iterator[bytes]:
        """The held first bytes, then the rest."""
        if self._held:
            held, self._held = self._held, b""
            yield held
        yield from self._chunks


def decompressed(kind: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The decompressed bytes of a gzip, bzip2 or xz stream (all members), checked to its end."""
    if kind == "gzip":
        return _members(chunks, lambda: zlib.decompressobj(16 + zlib.MAX_WBITS), b"\x1f\x8b", "gzip")
    if kind == "bzip2":
        return _members(chunks, bz2.BZ2Decompressor, b"BZh", "bzip2")
    if kind == "xz":
        return _members(chunks, lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ), b"\xfd7zXZ\x00", "xz")
    raise Corrupt(f"{kind}-compressed data cannot be read here (no {kind} decompressor in Python)")


def _members(chunks: Iterable[bytes], new: Callable[[], Any], magic: bytes, name: str) -> Iterator[bytes]:
    """Decompress member after member; each must end with its checksums, and nothing but zeros may follow."""
    engine: Any = None  # None: before the first member or between members
    consumed, pending = 0, b""
    for chunk in chunks:
        data, pending = pending + chunk if pending else chunk, b""
        while data:
            if engine is None:
                if not data.startswith(magic):
                    if magic.startswith(data[:len(magic)]) and len(data) < len(magic):
                        pending = data  # the start of another member, cut between two chunks
                    elif data.strip(b"\x00"):
                        raise Corrupt(f"unexpected bytes after the end of the {name} data (at byte {consumed})")
                    consumed += len(data) - len(pending)
                    break
                engine = new()
            try:
                yield from _outputs(engine, data)
            except (zlib.error, OSError, EOFError, lzma.LZMAError) as exc:
                raise Corrupt(_explain(name, exc, consumed)) from None
            if engine.eof:
                rest = engine.unused_data
                consumed += len(data) - len(rest)
                data, engine = rest, None
            else:
                consumed += len(data)
                data = b""
    if pending:
        raise Corrupt(f"unexpected bytes after the end of the {name} data (at byte {consumed})")
    if engine is not None:
        raise Corrupt(f"the {name} data ends early, after {consumed} bytes, before its end-of-stream "
                      "marker and checksum: the file is truncated")
    if consumed == 0:
        raise Corrupt(f"the file is empty: no {name} data")


def _outputs(engine: Any, data: bytes) -> Iterator[bytes]:
    """Everything `data` decompresses to, at most CHUNK bytes at a time."""
    if hasattr(engine, "unconsumed_tail"):  # zlib keeps unread input for the caller
        while data and not engine.eof:
            out = engine.decompress(data, CHUNK)
            data = engine.unconsumed_tail
            if out:
                yield out
        return
    out = engine.decompress(data, CHUNK)  # bz2 and lzma buffer their input themselves
    while True:
        if out:
            yield out
        if engine.eof or engine.needs_input:
            return
        out = engine.decompress(b"", CHUNK)


def _explain(name: str, exc: BaseException, offset: int) -> str:
    """A decompressor's error as a sentence naming what is wrong."""
    text = str(exc)
    if "incorrect data check" in text:
        return f"the {name} CRC check failed: the data is corrupt"
    if "incorrect length check" in text:
        return f"the {name} length check failed: the data is corrupt or truncated"
    return f"the {name} data is corrupt after byte {offset}: {text.removeprefix('Error -3 while decompressing data: ')}"


class Tail:
    """Passes chunks through, counting them and keeping the last `size` bytes."""

    def __init__(self, chunks: Iterable[bytes], size: int = 65536) -> None:
        """Keep the last `size` bytes (none for 0)."""
        self._chunks, self._size = chunks, size
        self.kept = b""
        self.total = 0

    def __iter__(self) -> Iterator[bytes]:
        """The chunks, counted and remembered on the way."""
        for chunk in self._chunks:
            self.total += len(chunk)
            if self._size:
                self.kept = (self.kept + chunk)[-self._size:] if len(chunk) < self._size else chunk[-self._size:]
            yield chunk

    def drain(self) -> None:
        """Read everything that is left."""
        for _ in self:
            pass


class Reader(io.RawIOBase):
    """A read-only file object over an iterator of byte chunks (for tarfile and the pg_dump reader)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        """A file object reading the chunks in order."""
        super().__init__()
        self._chunks = iter(chunks)
        self._rest = memoryview(b"")
        self.offset = 0

    def readable(self) -> bool:
        """Always: it is a reader."""
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 - any writable buffer
        """Fill the buffer from the current chunk; 0 at the end."""
        while not self._rest:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._rest = memoryview(chunk)
        size = min(len(buffer), len(self._rest))
        buffer[:size] = self._rest[:size]
        self._rest = self._rest[size:]
        self.offset += size
        return size

    def exactly(self, size: int, what: str) -> bytes:
        """Exactly `size` bytes; Corrupt naming `what` when the stream ends first."""
        parts, need = [], size
        while need:
            piece = self.read(need)
            if not piece:
                raise Corrupt(f"the file ends in the middle of {what} (at byte {self.offset}): it is truncated")
            parts.append(piece)
            need -= len(piece)
        return b"".join(parts)


def file_chunks(stream: io.RawIOBase | io.BufferedIOBase) -> Iterator[bytes]:
    """A binary file object read to its end in CHUNK pieces."""
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return
        yield chunk

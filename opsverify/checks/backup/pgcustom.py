"""Read a pg_dump custom-format archive (`pg_dump -Fc`) to its end: header, table of contents, every data block.

`pg_restore --list` reads only the header and the table of contents, so an archive cut to 60 % still
lists fine. This reader walks every data block after the TOC, inflates gzip-compressed blocks (zlib
checks each one's Adler-32), and requires a block for every TOC entry that has data. Archives
written with lz4 or zstd (pg_dump 16+) are walked block by block without inflating the blocks.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from opsverify.checks.backup.streams import CHUNK, Corrupt, Reader

BLK_DATA, BLK_BLOBS = 1, 3
OFFSET_NO_DATA = 3
ALGORITHMS = {0: "none", 1: "gzip", 2: "lz4", 3: "zstd"}


def _version(major: int, minor: int, rev: int = 0) -> int:
    """An archive version as one comparable number, like PostgreSQL's MAKE_ARCHIVE_VERSION."""
    return (major * 256 + minor) * 256 + rev


@dataclass
class Entry:
    """One TOC entry that has a data block."""

    dump_id: int
    desc: str
    name: str

    def __str__(self) -> str:
        """"TABLE DATA public.orders"."""
        return f"{self.desc} {self.name}".strip()


@dataclass
class Archive:
    """What the walk found: archive version, compression, dumped database and the data blocks read."""

    version: str = ""
    compression: str = "none"
    database: str = ""
    dumped_by: str = ""
    entries: int = 0
    blocks: int = 0
    data_bytes: int = 0  # uncompressed bytes of the data blocks (compressed size when not inflated)
    expected: dict[int, Entry] = field(default_factory=dict)


class _Walk:
    """The reading state: integer sizes, version and the stream."""

    def __init__(self, reader: Reader) -> None:
        """Start at the beginning of the archive, with the usual integer sizes until the header says."""
        self.reader = reader
        self.int_size = 4
        self.off_size = 8
        self.version = 0

    def byte(self, what: str) -> int:
        """One unsigned byte."""
        return self.reader.exactly(1, what)[0]

    def int(self, what: str) -> int:
        """pg_dump's integer: a sign byte, then int_size little-endian bytes."""
        raw = self.reader.exactly(1 + self.int_size, what)
        value = int.from_bytes(raw[1:], "little")
        return -value if raw[0] else value

    def str(self, what: str) -> str | None:
        """A length-prefixed string; None for length -1."""
        size = self.int(what)
        if size < 0:
            return None
        if size > 1 << 30:
            raise Corrupt(f"impossible string length {size} in {what}: the archive is corrupt")
        return self.reader.exactly(size, what).decode("utf-8", "replace")


def walk(reader: Reader) -> Archive:
    """Read the whole archive; Corrupt with the place it breaks when anything is missing or damaged."""
    w, archive = _Walk(reader), Archive()
    _header(w, archive)
    _toc(w, archive)
    seen: set[int] = set()
    while True:
        first = reader.read(1)
        if not first:
            break
        kind, dump_id = first[0], w.int("a data block header")
        entry = archive.expected.get(dump_id)
        if entry is None or kind not in (BLK_DATA, BLK_BLOBS):
            raise Corrupt(f"unexpected data block (type {kind}, entry {dump_id}) at byte {reader.offset}: "
                          "the archive is corrupt")
        if kind == BLK_DATA:
            _data(w, archive, entry)
        else:
            while (oid := w.int(f"the large objects of {entry}")) != 0:
                _data(w, archive, entry, f"large object {oid}")
        seen.add(dump_id)
        archive.blocks += 1
    missing = [e for i, e in archive.expected.items() if i not in seen]
    if missing:
        names = ", ".join(str(e) for e in missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise Corrupt(f"the archive ends after {archive.blocks} of {len(archive.expected)} data blocks; "
                      f"missing: {names}: it is truncated")
    return archive


def _header(w: _Walk, archive: Archive) -> None:
    """Magic, version, integer sizes, format, compression, creation date and the dumped database."""
    if w.reader.exactly(5, "the header") != b"PGDMP":
        raise Corrupt("not a pg_dump custom-format archive (no PGDMP magic)")
    major, minor = w.byte("the header"), w.byte("the header")
    rev = w.byte("the header") if (major, minor) > (1, 0) else 0
    w.version = _version(major, minor, rev)
    archive.version = f"{major}.{minor}"
    if w.version < _version(1, 12) or major > 1:
        raise Corrupt(f"archive version {major}.{minor} is not one this reader knows (1.12 to 1.16)")
    w.int_size, w.off_size = w.byte("the header"), w.byte("the header")
    if not 1 <= w.int_size <= 8 or not 1 <= w.off_size <= 16:
        raise Corrupt(f"implausible integer sizes {w.int_size}/{w.off_size} in the header: the archive is corrupt")
    if w.byte("the header") != 1:
        raise Corrupt("a pg_dump archive, but not in custom format (pg_dump -Fc)")
    if w.version >= _version(1, 15):
        archive.compression = ALGORITHMS.get(w.byte("the header"), "unknown")
    else:
        archive.compression = "none" if w.int("the header") == 0 else "gzip"
    for _ in range(7):  # creation date: sec, min, hour, mday, mon, year, isdst
        w.int("the header")
    archive.database = w.str("the header") or ""
    w.str("the header")  # server version
    archive.dumped_by = w.str("the header") or ""


def _toc(w: _Walk, archive: Archive) -> None:
    """The table of contents: remember every entry that has a data block."""
    count = w.int("the table of contents")
    if not 0 <= count < 10_000_000:
        raise Corrupt(f"implausible table of contents size {count}: the archive is corrupt")
    archive.entries = count
    for index in range(count):
        what = f"table of contents entry {index + 1} of {count}"
        dump_id = w.int(what)
        w.int(what)  # had a dumper
        w.str(what), w.str(what)  # table oid, oid
        name, desc = w.str(what) or "", w.str(what) or ""
        w.int(what)  # section
        w.str(what), w.str(what), w.str(what)  # definition, drop and copy statements
        schema = w.str(what)
        for _ in range(2 if w.version >= _version(1, 14) else 1):  # tablespace, table access method
            w.str(what)
        if w.version >= _version(1, 16):
            w.int(what)  # relkind
        w.str(what), w.str(what)  # owner, "false" (with oids)
        while w.str(what) is not None:  # dependencies
            pass
        state = w.byte(what)
        w.reader.exactly(w.off_size, what)
        if state != OFFSET_NO_DATA:
            archive.expected[dump_id] = Entry(dump_id, desc, f"{schema}.{name}" if schema else name)


def _data(w: _Walk, archive: Archive, entry: Entry, part: str = "") -> None:
    """One data stream: length-prefixed chunks until a zero length, inflated when gzip-compressed."""
    what = f"the data of {entry}" + (f" ({part})" if part else "")
    inflate = zlib.decompressobj() if archive.compression == "gzip" else None
    fed = False
    while (size := w.int(what)) != 0:
        if size < 0 or size > 1 << 30:
            raise Corrupt(f"impossible chunk length {size} in {what}: the archive is corrupt")
        chunk, fed = w.reader.exactly(size, what), True
        if inflate is None:
            archive.data_bytes += size
            continue
        try:
            while chunk:
                archive.data_bytes += len(inflate.decompress(chunk, CHUNK))
                chunk = inflate.unconsumed_tail
        except zlib.error as exc:
            raise Corrupt(f"{what} does not inflate ({exc}): the archive is corrupt") from None
    if inflate is not None and fed and not inflate.eof:
        raise Corrupt(f"{what} stops before the end of its compressed stream: the archive is corrupt")

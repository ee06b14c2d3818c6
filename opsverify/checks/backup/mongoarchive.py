"""Read a mongodump archive (`mongodump --archive`) to its end: header, collection metadata, every document.

The format (mongo-tools' common/archive/spec.md): a magic number, a header document, one metadata
document per collection and a terminator; then segments of documents, each after a namespace header
and closed by a terminator, interleaved between collections; each collection ends with an EOF header.
A dump that was cut short, or that mongodump did not finish, lacks the EOF of some collection or ends
in the middle of a document. Documents are framed (length, trailing NUL), not decoded; the collections'
CRC-64 is not recomputed (a compression layer's own checksum covers the bytes).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any

from opsverify.checks import CheckError
from opsverify.checks.backup.streams import Corrupt, Reader

MAGIC = b"\x6d\xe2\x99\x81"  # 0x8199e26d, little-endian
TERMINATOR = -1
MAX_HEADER = 16 << 20  # the largest BSON document MongoDB stores


@dataclass
class Archive:
    """What the walk found: the dumping server's version and each collection's documents."""

    server_version: str = ""
    tool_version: str = ""
    documents: dict[str, int] = field(default_factory=dict)  # "db.collection" -> documents read
    closed: set[str] = field(default_factory=set)  # collections whose EOF header was read
    data_bytes: int = 0


def _decode(raw: bytes, what: str) -> dict[str, Any]:
    """A header document decoded by pymongo's bson."""
    try:
        import bson
    except ImportError:
        raise CheckError("format: mongodump needs pymongo's bson: pip install 'opsverify[mongodb]'") from None
    try:
        return bson.decode(raw)
    except Exception as exc:  # bson raises InvalidBSON and a few others on bad bytes
        raise Corrupt(f"the mongodump archive's {what} is not a valid BSON document ({exc})") from None


def _document(reader: Reader, what: str, *, stop: bool = False) -> bytes | None:
    """One length-framed BSON document; None for a terminator where `stop` allows one."""
    start = reader.offset
    head = reader.exactly(4, what)
    size = struct.unpack("<i", head)[0]
    if size == TERMINATOR and stop:
        return None
    if size < 5 or size > MAX_HEADER:
        raise Corrupt(f"the mongodump archive has a {what} of impossible length {size} at byte {start}: "
                      "it is damaged")
    body = reader.exactly(size - 4, what)
    if body[-1:] != b"\x00":
        raise Corrupt(f"the {what} at byte {start} of the mongodump archive does not end as BSON does: it is damaged")
    return head + body


def _data_of(meta: dict[str, Any]) -> str | None:
    """The namespace that holds a dumped collection's documents: its own, a time series' buckets, none for a view."""
    db, name = meta.get("db"), meta.get("collection")
    try:
        options = json.loads(str(meta.get("metadata") or "{}")).get("options") or {}
    except ValueError:
        raise Corrupt(f"the mongodump archive's metadata of {db}.{name} is not valid JSON") from None
    kind = meta.get("type") or ("view" if "viewOn" in options else "collection")
    return {"collection": f"{db}.{name}", "timeseries": f"{db}.system.buckets.{name}"}.get(kind)


def walk(reader: Reader) -> Archive:
    """Walk the whole archive; Corrupt says where and why it is not a complete dump."""
    if reader.exactly(4, "the magic number") != MAGIC:
        raise Corrupt("not a mongodump archive: it does not start with the archive's magic number")
    archive = Archive()
    header = _decode(_document(reader, "header") or b"", "header")
    archive.server_version = str(header.get("server_version", ""))
    archive.tool_version = str(header.get("tool_version", ""))
    while (raw := _document(reader, "collection metadata", stop=True)) is not None:
        holder = _data_of(_decode(raw, "collection metadata"))
        if holder is not None:
            archive.documents.setdefault(holder, 0)
    while (first := reader.read(1)):
        start = first + reader.exactly(3, "a namespace header")
        size = struct.unpack("<i", start)[0]
        if size < 5 or size > MAX_HEADER:
            raise Corrupt(f"the mongodump archive has a namespace header of impossible length {size} at byte "
                          f"{reader.offset - 4}: it is damaged")
        namespace = _decode(start + reader.exactly(size - 4, "a namespace header"), "namespace header")
        name = f"{namespace.get('db')}.{namespace.get('collection')}"
        if name in archive.closed:
            raise Corrupt(f"the mongodump archive has data for {name} after its end: it is damaged")
        if namespace.get("EOF"):
            archive.closed.add(name)
            archive.documents.setdefault(name, 0)
            if _document(reader, f"the terminator after {name}'s end", stop=True) is not None:
                raise Corrupt(f"no terminator after {name}'s end in the mongodump archive: it is damaged")
            continue
        while (doc := _document(reader, f"a document of {name}", stop=True)) is not None:
            archive.documents[name] = archive.documents.get(name, 0) + 1
            archive.data_bytes += len(doc)
    open_ = sorted(set(archive.documents) - archive.closed)
    if open_:
        shown = ", ".join(open_[:3]) + (f" and {len(open_) - 3} more" if len(open_) > 3 else "")
        raise Corrupt(f"the mongodump archive ends before the end of {shown}: mongodump did not finish")
    if not archive.documents:
        raise Corrupt("the mongodump archive holds no collection")
    return archive

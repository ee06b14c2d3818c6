"""mongodump archives (`mongodump --archive --gzip`) read to their end, here and on a host.

No mongod or mongodump can be installed here (none is in PyPI, npm or Debian), so the archives are
written by `archive()` below to mongo-tools' published format (common/archive/spec.md), with
pymongo's BSON encoder; the reader was also run against mongo-tools' own test archives.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import struct
from typing import Any

import bson
import pytest

from opsverify.checks.backup.integrity import integrity
from opsverify.result import Status
from tests.backups.conftest import Shelf, backup, context

MAGIC = struct.pack("<I", 0x8199E26D)
END = b"\xff\xff\xff\xff"
COLLECTIONS = {"bookings": 40, "users": 12, "services": 5}


def archive(collections: dict[str, int], db: str = "trixtech", *, unfinished: str | None = None) -> bytes:
    """An archive as mongodump writes it: metadata, documents interleaved in segments of 10, then each EOF;
    `unfinished`: that collection's EOF is missing (mongodump stopped before it)."""
    out = [MAGIC, bson.encode({"concurrent_collections": 4, "version": "0.1", "server_version": "7.0.14",
                               "tool_version": "100.10.0"})]
    for name in collections:
        meta = json.dumps({"options": {}, "indexes": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}], "type": "collection"})
        out.append(bson.encode({"db": db, "collection": name, "metadata": meta, "size": 0, "type": "collection"}))
    out.append(END)
    left = dict(collections)
    while any(left.values()):
        for name, count in left.items():
            if count:
                out.append(bson.encode({"db": db, "collection": name, "EOF": False, "CRC": bson.Int64(0)}))
                for n in range(min(10, count)):
                    out.append(bson.encode({"_id": bson.ObjectId(), "n": n, "status": "confirmed"}))
                out.append(END)
                left[name] = count - min(10, count)
    for name in collections:
        if name != unfinished:
            out += [bson.encode({"db": db, "collection": name, "EOF": True, "CRC": bson.Int64(7)}), END]
    return b"".join(out)


def check(shelf: Shelf, data: bytes, **where: Any):  # noqa: ANN201 - a Result
    """Integrity of the set once this archive is its newest."""
    shelf.put("db_20261207_020000.archive.gz", data, dt.timedelta(hours=5))
    return integrity(backup(shelf.glob("db_*.archive.gz"), format="mongodump", **where.get("fields", {})),
                     context=where.get("context"))


def test_a_whole_gzipped_archive_passes_with_its_collections_counted(shelf: Shelf) -> None:
    result = check(shelf, gzip.compress(archive(COLLECTIONS)))
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith("db_20261207_020000.archive.gz read whole: gzip OK; mongodump archive of MongoDB 7.0.14: "
                                    "3 collections, 57 documents (")
    assert result.reason.endswith("every collection complete (trixtech.bookings: 40, trixtech.services: 5, "
                                  "trixtech.users: 12)")


def test_an_archive_mongodump_did_not_finish_fails_though_its_gzip_is_sound(shelf: Shelf) -> None:
    result = check(shelf, gzip.compress(archive(COLLECTIONS, unfinished="bookings")))
    assert result.status is Status.FAILED
    assert result.reason == ("db_20261207_020000.archive.gz: the mongodump archive ends before the end of "
                             "trixtech.bookings: mongodump did not finish")


def test_an_archive_cut_in_a_document_fails(shelf: Shelf) -> None:
    whole = archive(COLLECTIONS)
    result = check(shelf, gzip.compress(whole[:len(whole) // 2 + 3]))
    assert result.status is Status.FAILED
    assert "the file ends in the middle of a document of trixtech." in result.reason
    assert result.reason.endswith("it is truncated")


def test_other_content_or_an_empty_dump_fails(shelf: Shelf) -> None:
    result = check(shelf, gzip.compress(b'{"bookings": []}\n'))
    assert (result.status, result.reason) == (
        Status.FAILED, "db_20261207_020000.archive.gz: format is mongodump, but the file is gzip-compressed text")
    result = check(shelf, gzip.compress(archive({})))
    assert (result.status, result.reason) == (
        Status.FAILED, "db_20261207_020000.archive.gz: the mongodump archive holds no collection")


def test_an_archive_on_a_host_is_streamed_here_and_judged_the_same(shelf: Shelf, target: str) -> None:
    env = context(hosts=[{"name": "app1", "target": target, "timeout": "10s"}], backups=[])
    whole = check(shelf, gzip.compress(archive(COLLECTIONS)), fields={"host": "app1"}, context=env)
    assert whole.status is Status.PASSED, whole.reason
    assert "on app1" in whole.reason and "3 collections, 57 documents" in whole.reason
    broken = check(shelf, gzip.compress(archive(COLLECTIONS, unfinished="users")), fields={"host": "app1"},
                   context=env)
    assert broken.status is Status.FAILED
    assert broken.reason.endswith("the mongodump archive ends before the end of trixtech.users: mongodump did not "
                                  "finish")


@pytest.mark.parametrize("kind", ["timeseries", "view"])
def test_a_time_series_is_read_from_its_buckets_and_a_view_has_no_data(shelf: Shelf, kind: str) -> None:
    def header(name: str, eof: bool) -> bytes:
        return bson.encode({"db": "t", "collection": name, "EOF": eof, "CRC": bson.Int64(0)})

    meta = bson.encode({"db": "t", "collection": "readings", "type": kind,
                        "metadata": json.dumps({"options": {"viewOn": "x"} if kind == "view" else {}})})
    users = bson.encode({"db": "t", "collection": "users", "metadata": "{}"})
    held = "users" if kind == "view" else "system.buckets.readings"
    data = b"".join([MAGIC, bson.encode({"version": "0.1", "server_version": "7.0.14"}), meta, users, END,
                     header(held, False), bson.encode({"_id": 1}), END, header(held, True), END])
    result = check(shelf, gzip.compress(data))
    if kind == "view":
        assert (result.status, result.reason) == (Status.PASSED, result.reason)
        assert "1 collection, 1 document (" in result.reason
    else:
        assert (result.status, result.reason) == (
            Status.FAILED, "db_20261207_020000.archive.gz: the mongodump archive ends before the end of t.users: "
                           "mongodump did not finish")

"""Backups under s3://bucket/prefix through boto3, against moto's standalone S3 server on loopback.

No real S3 is reachable here; moto_server speaks the S3 REST API, and boto3 reaches it through
AWS_ENDPOINT_URL exactly as it would reach MinIO or another S3-compatible store.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from opsverify.checks.backup.checksum import checksum
from opsverify.checks.backup.freshness import freshness
from opsverify.checks.backup.integrity import integrity
from opsverify.checks.backup.restore import restore_drill
from opsverify.result import Status
from tests.backups.conftest import Source, backup, context
from tests.support.daemon import wait_for_port
from tests.support.fixtures import require
from tests.support.net import LOOPBACK, free_port

BUCKET = "backups"
SCRIPT = b"BEGIN TRANSACTION;\nCREATE TABLE t(x);\n" + b"INSERT INTO t VALUES(1);\n" * 500 + b"COMMIT;\n"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto_server on a free loopback port; its endpoint URL."""
    tool = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    require(None if tool else "moto_server not found (pip install 'moto[server]')")
    port = free_port()
    process = subprocess.Popen([tool, "-H", LOOPBACK, "-p", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, timeout=30, process=process)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def bucket(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An empty bucket; boto3 in this process points at moto through the standard variables."""
    for name, value in {"AWS_ENDPOINT_URL": s3_server, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for entry in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=entry["Key"])
    client.delete_bucket(Bucket=BUCKET)


def upload(client: Any, key: str, data: bytes, sidecar: bool = True) -> None:
    """An object and its .sha256 sidecar."""
    client.put_object(Bucket=BUCKET, Key=key, Body=data)
    if sidecar:
        name = key.rsplit("/", 1)[-1]
        client.put_object(Bucket=BUCKET, Key=key + ".sha256", Body=f"{hashlib.sha256(data).hexdigest()}  {name}\n")


def test_freshness_lists_only_the_matching_keys(bucket: Any) -> None:
    upload(bucket, "prod/db/db-1.sql.gz", gzip.compress(SCRIPT))
    upload(bucket, "prod/db/other/db-9.sql.gz", b"not in the set")
    result = freshness(backup(f"s3://{BUCKET}/prod/db/db-*.sql.gz", max_age="1h"))
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith(f"age of newest backup db-1.sql.gz in s3://{BUCKET} is ")
    assert result.evidence["files"] == 1
    time.sleep(2.1)
    result = freshness(backup(f"s3://{BUCKET}/prod/db/db-*.sql.gz", max_age="1s"))
    assert result.status is Status.FAILED and result.reason.endswith("limit 1s")


def test_checksum_and_integrity_stream_the_object(bucket: Any) -> None:
    data = gzip.compress(SCRIPT)
    upload(bucket, "db/db-1.sql.gz", data)
    item = backup(f"s3://{BUCKET}/db/db-*", format="sqlite", checksum="sidecar")
    assert checksum(item).status is Status.PASSED
    result = integrity(item)
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith(f"db-1.sql.gz in s3://{BUCKET} read whole: gzip OK; SQLite .dump script ends")
    time.sleep(1.1)  # a newer object: the truncated one
    upload(bucket, "db/db-2.sql.gz", data[:len(data) // 2])
    result = integrity(item)
    assert result.status is Status.FAILED
    assert result.reason.startswith(f"db-2.sql.gz in s3://{BUCKET}: the gzip data ends early")


def test_a_zip_in_s3_is_checked_through_a_local_copy(bucket: Any, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a\n" * 1000)
    subprocess.run(["zip", "-q", str(tmp_path / "a.zip"), "a.txt"], cwd=tmp_path, check=True)
    upload(bucket, "files/up-1.zip", (tmp_path / "a.zip").read_bytes())
    result = integrity(backup(f"s3://{BUCKET}/files/*.zip", format="zip"))
    assert result.status is Status.PASSED, result.reason


def test_a_restore_drill_streams_from_s3(bucket: Any, tmp_path: Path, pg_source: Source) -> None:
    upload(bucket, "db/db-1.sql.gz", gzip.compress(SCRIPT))
    item = backup(f"s3://{BUCKET}/db/db-*", restore={"into": f"sqlite:///{tmp_path}/r.db",
                                                     "expect_min_rows": {"t": 500}})
    result = restore_drill(item, context=context())
    assert result.status is Status.PASSED, result.reason
    upload(bucket, "db/db-2.dump", pg_source.dump("-Fc").read_bytes())
    item = backup(f"s3://{BUCKET}/db/db-2*", restore={"into": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                                      "expect_min_rows": {"orders": 500}})
    result = restore_drill(item, context=context())
    assert result.status is Status.PASSED, result.reason
    assert "with pg_restore" in result.reason


def test_a_missing_bucket_is_an_error_with_its_cause(bucket: Any) -> None:
    result = freshness(backup("s3://no-such-bucket/db/*.gz"))
    assert result.status is Status.ERROR
    assert "NoSuchBucket" in result.reason or "does not exist" in result.reason


def test_no_object_matches(bucket: Any) -> None:
    result = freshness(backup(f"s3://{BUCKET}/db/*.gz"))
    assert result.status is Status.FAILED
    assert result.reason == f"no backup file matches s3://{BUCKET}/db/*.gz"

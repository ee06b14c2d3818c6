"""Backups in S3 (s3://bucket/prefix/pattern) through boto3: listed, read whole and in ranges."""

from __future__ import annotations

import re
from collections.abc import Iterator

from opsverify.checks import CheckError
from opsverify.checks.backup.files import BackupFile, Store
from opsverify.checks.backup.streams import CHUNK


class S3Store(Store):
    """Objects under s3://bucket/prefix through boto3 (credentials and AWS_ENDPOINT_URL as boto3 reads them)."""

    def __init__(self, bucket: str, timeout: float) -> None:
        """A boto3 client for the bucket with the item's connect and read timeouts."""
        try:
            import boto3  # only S3 sets need it
            from botocore.config import Config
        except ImportError:
            raise CheckError("s3:// backups need boto3: pip install boto3") from None

        self.bucket = bucket
        self.where = f" in s3://{bucket}"
        config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 2})
        self.client = boto3.client("s3", config=config)

    def _matches(self, pattern: str) -> list[BackupFile]:
        """Objects under the glob's literal prefix whose keys match it."""
        prefix = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
        wanted = glob_regex(pattern)
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [BackupFile(o["Key"].rsplit("/", 1)[-1], o["Key"], o["Size"], o["LastModified"])
                for page in pages for o in page.get("Contents", []) if wanted.fullmatch(o["Key"])]

    def chunks(self, file: BackupFile) -> Iterator[bytes]:
        """The object's body, streamed."""
        body = self.client.get_object(Bucket=self.bucket, Key=file.path)["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def small(self, path: str, limit: int = 1 << 20) -> bytes | None:
        """The start of a small object (a ranged GET), or None."""
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=path, Range=f"bytes=0-{limit - 1}")["Body"]
        except self.client.exceptions.NoSuchKey:
            return None
        with body:
            return body.read()

    def stat(self, path: str) -> BackupFile | None:
        """Size and time of an object (HEAD), or None."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=path)
        except self.client.exceptions.ClientError:
            return None
        return BackupFile(path.rsplit("/", 1)[-1], path, head["ContentLength"], head["LastModified"])

    def tail(self, path: str, size: int) -> bytes:
        """The object's last bytes (a ranged GET)."""
        with self.client.get_object(Bucket=self.bucket, Key=path, Range=f"bytes=-{size}")["Body"] as body:
            return body.read()


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A shell glob as a regex on whole paths: `*` and `?` stay within one folder, `**` crosses folders."""
    out, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        end = pattern.find("]", index + 2) if char == "[" else -1
        if char == "[" and end > 0:
            body = pattern[index + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            index = end + 1
            continue
        out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
        index += 1
    return re.compile("".join(out))

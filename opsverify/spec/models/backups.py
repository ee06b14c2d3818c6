"""Backup sets: freshness, size, checksum, integrity, the job's log, retention and the restore drill."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from opsverify.spec.models.common import Item, Model
from opsverify.spec.types import BackupPath, Count, DurationT, Name, RatioT, RegexT, ScratchUrlT, SecretT, SizeT

BackupFormat = Literal["pg_dump", "pg_custom", "mongodump", "mysqldump", "sqlite", "tar", "zip", "gzip", "json", "yaml", "ini",
                       "file", "opaque"]


def _column(value: str) -> str:
    """`table.column` or `schema.table.column`."""
    if not re.fullmatch(r"[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*){1,2}", value):
        raise ValueError(f"{value!r} is not a column; write it as table.column, like orders.created_at")
    return value


Column = Annotated[str, AfterValidator(_column)]


class BackupLog(Model):
    """The backup job's own log: it must say it succeeded, recently."""

    path: str
    success_pattern: RegexT | None = None
    max_age: DurationT | None = None
    warn_max_age: DurationT | None = None


class Retention(Model):
    """Grandfather-father-son: how many hourly, daily, weekly, monthly and yearly backups must be kept."""

    hourly: Count | None = None
    daily: Count | None = None
    weekly: Count | None = None
    monthly: Count | None = None
    yearly: Count | None = None


class BeforeRelease(Model):
    """The pre-update backup: one of the set was written at most `within` before the deployed release changed."""

    path: str  # the deployed release (a `current` symlink, a REVISION file): its change time is the deploy time
    host: Name | None = None  # a name from `hosts`; None: the backup set's own host
    within: DurationT


class AfterChange(Model):
    """Live files (or folders) whose every change must be backed up: the set's newest file is newer than them."""

    paths: tuple[str, ...] = Field(min_length=1)  # a folder counts its newest file (.env, nginx/, uploads/)
    host: Name | None = None  # a name from `hosts`; None: the backup set's own host
    within: DurationT | None = None  # grace for the copy job: a change younger than this is not yet a failure


class Copy(Model):
    """A live folder copied as it changes (lsyncd, rsync in a loop) to `to`, a folder on the set's host."""

    name: Name | None = None  # shown in the check's reason
    from_: str = Field(alias="from")  # the live folder; its files are walked, symlinks not followed
    to: str  # the copy, on the backup set's own host, files at the same relative paths
    host: Name | None = None  # where `from` is: a name from `hosts`; None: the backup set's own host
    max_lag: DurationT  # a live file changed longer ago than this must be in the copy, as big and as new


class Restore(Model):
    """The restore drill: into a throwaway database on a scratch server, then compared."""

    into: ScratchUrlT  # the scratch server; a throwaway database is created there and always dropped
    max_duration: DurationT | None = None  # the RTO of the drill
    warn_max_duration: DurationT | None = None
    source: Name | None = None  # a name from `databases` to compare row counts with
    expect_min_rows: dict[str, Count] = {}
    max_row_drift: RatioT | None = None
    warn_max_row_drift: RatioT | None = None
    freshness_column: Column | None = None
    allow_production: bool = False  # may `into` be a database server of a `production: true` environment?


class Backup(Item):
    """A backup set: a glob on a host (or s3://bucket/prefix/*.dump) and what a good backup looks like."""

    path: BackupPath
    host: Name | None = None  # a name from `hosts`; None: the local machine
    format: BackupFormat = "file"  # the format inside any encryption; opaque: no content to check, said so
    encryption: Literal["none", "gpg", "age"] = "none"
    key: SecretT | None = None  # gpg: the passphrase (of the file, or of key_file); age: an identity (AGE-SECRET-KEY-…)
    key_file: str | None = None  # gpg: a secret key (armored or binary), imported into a throwaway keyring
    identity_file: str | None = None  # age: a file of identities
    max_age: DurationT  # the RPO
    warn_max_age: DurationT | None = None
    min_size: SizeT | None = None
    warn_min_size: SizeT | None = None
    max_shrink: RatioT | None = None  # newest vs the median of the previous few
    warn_max_shrink: RatioT | None = None
    checksum: Literal["sidecar", "none"] = "none"
    log: BackupLog | None = None
    retention: Retention | None = None
    before_release: BeforeRelease | None = None
    after_change: AfterChange | None = None
    copies: tuple[Copy, ...] = ()
    restore: Restore | None = None

    @model_validator(mode="after")
    def _keys_fit_the_encryption(self) -> Backup:
        """Keys only with encryption declared, each with the tool that reads it."""
        given = [k for k in ("key", "key_file", "identity_file") if getattr(self, k) is not None]
        if given and self.encryption == "none":
            raise ValueError(f"{given[0]} is given but encryption is none; declare encryption: gpg or age")
        if self.key_file is not None and self.encryption != "gpg":
            raise ValueError("key_file is a gpg secret key; for age give identity_file")
        if self.identity_file is not None and self.encryption != "age":
            raise ValueError("identity_file is an age identity; for gpg give key (a passphrase) and/or key_file")
        return self

    @property
    def keyed(self) -> bool:
        """Whether a key to decrypt the backups is given."""
        return any(k is not None for k in (self.key, self.key_file, self.identity_file))

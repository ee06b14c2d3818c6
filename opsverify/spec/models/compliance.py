"""Compliance: the share of controls that passed, the access review, reviewed documents, log retention."""

from __future__ import annotations

from pydantic import model_validator

from opsverify.spec.models.common import Entry, Listed, located
from opsverify.spec.types import Count, DurationT, Name, RatioT, SizeT


class AccessReview(Entry):
    """Who has privileged access, from a query; anyone not approved is a finding."""

    database: Name  # a name from `databases`
    sql: str
    approved: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The test id: the database reviewed."""
        return self.database


class Document(Listed):
    """A document that must have been reviewed recently ('Last reviewed: YYYY-MM-DD', else the file time)."""

    path: str
    max_age: DurationT
    warn_max_age: DurationT | None = None

    @property
    def own_id(self) -> str:
        """The document's path."""
        return self.path


class LogRetention(Listed):
    """Logs kept at least `min_days` and at most `max_days`; no file bigger than `max_file_size`; the newest file at
    most `max_newest_days` old (rotation or archiving still runs)."""

    path: str
    host: Name | None = None  # a name from `hosts`; None: the local machine
    min_days: Count | None = None
    warn_min_days: Count | None = None
    max_days: Count | None = None
    warn_max_days: Count | None = None
    max_file_size: SizeT | None = None  # the biggest kept file (the live log that rotation keeps small)
    warn_max_file_size: SizeT | None = None
    max_files: Count | None = None  # files kept (pm2-logrotate retain, logrotate rotate): rotated ones are deleted
    max_newest_days: Count | None = None  # the newest file's age: an archive nothing reached lately fails

    @model_validator(mode="after")
    def _sane(self) -> LogRetention:
        """A limit to check, and a window that is not empty."""
        if all(v is None for v in (self.min_days, self.max_days, self.max_file_size, self.max_newest_days)):
            raise ValueError("give min_days and/or max_days (or max_file_size, max_newest_days)")
        if self.min_days is not None and self.max_days is not None and self.min_days > self.max_days:
            raise ValueError(f"min_days ({self.min_days}) is more than max_days ({self.max_days})")
        return self

    @property
    def own_id(self) -> str:
        """`web1:/var/log/app`."""
        return located(self.host, self.path)


class Compliance(Entry):
    """The compliance section: score, access review, documents, log retention."""

    min_score: RatioT | None = None  # share of controls whose checks all passed in this run
    warn_min_score: RatioT | None = None
    access_review: AccessReview | None = None
    documents: tuple[Document, ...] = ()
    log_retention: tuple[LogRetention, ...] = ()

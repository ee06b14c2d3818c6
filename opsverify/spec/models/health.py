"""Endpoints, TLS, databases, caches and mail relays: what answers and how fast."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from opsverify.spec.models.common import Item, Model
from opsverify.spec.secret import SecretUrl, remember_login
from opsverify.spec.types import (CacheUrlT, DurationT, HeadersT, HostName, RatioT, SecretT, SecretUrlT, SizeT,
                                  WebSecretUrlT)
from opsverify.spec.units import Duration, Ratio, Size
from opsverify.spec.urls import SQL, with_scheme

MIN_EVERY = 0.1  # seconds between two samples of `opsverify watch`, at the least
BODY_LIMIT = Size(10 * 1024 * 1024, "10MiB")  # how much of a response body is read, unless defaults or the item say
READING = ("GET", "HEAD", "OPTIONS")  # methods that read; the others may write
Method = Annotated[Literal["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"],
                   BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v)]


class Expect(Model):
    """What a healthy response looks like."""

    status: int | tuple[int, ...] | None = None  # None: any of 200-399
    contains: str | None = None
    json_: dict[str, Any] | None = Field(default=None, alias="json")
    json_age: dict[str, DurationT] | None = None  # dotted key of a timestamp -> the oldest it may be
    max_time: DurationT | None = Field(default=None, gt=0)
    warn_max_time: DurationT | None = Field(default=None, gt=0)

    def accepts(self, code: int) -> bool:
        """Whether an HTTP status code is the expected one."""
        if self.status is None:
            return 200 <= code <= 399
        return code in (self.status if isinstance(self.status, tuple) else (self.status,))


class LatencySla(Model):
    """Latency percentiles and error rate, with their warning levels."""

    p95: DurationT | None = None
    warn_p95: DurationT | None = None
    p99: DurationT | None = None
    warn_p99: DurationT | None = None
    max_error_rate: RatioT | None = None
    warn_max_error_rate: RatioT | None = None


class Sla(LatencySla):
    """Latency and error rate over `samples` sequential requests."""

    samples: int = Field(default=20, ge=1, le=10000)


class Uptime(Model):
    """Availability: the share of `opsverify watch`'s samples, one every `every`, that were up over the last `over`."""

    min: RatioT | None = None
    warn_min: RatioT | None = None
    over: DurationT = Duration(30 * 86400.0, "30d")
    every: DurationT = Duration(60.0, "1m")
    min_coverage: RatioT = Ratio(0.9)  # fewer samples than this share of over/every: the check cannot judge

    @model_validator(mode="after")
    def _judges(self) -> Uptime:
        """A limit to judge by, a sampling interval the watcher can keep, a period of several samples."""
        if self.min is None and self.warn_min is None:
            raise ValueError("give min and/or warn_min")
        if self.every < MIN_EVERY:
            raise ValueError(f"every ({self.every}) is shorter than 100ms")
        if self.over < 2 * self.every:
            raise ValueError(f"over ({self.over}) holds fewer than two samples taken every {self.every}")
        return self


class Endpoint(Item):
    """An HTTP(S) URL and what it must answer."""

    url: WebSecretUrlT
    method: Method = "GET"
    writes: bool | None = None  # whether the request changes anything; a POST, PUT, PATCH or DELETE must say
    ca_file: str | None = None
    headers: HeadersT = {}  # credential-like names (and `redact`) hold a Secret
    expect: Expect = Expect()
    sla: Sla | None = None
    uptime: Uptime | None = None  # sampled by `opsverify watch`, judged by test_endpoint_uptime
    body_limit: SizeT | None = Field(default=None, gt=0)  # resolved on load: own, else defaults.body_limit

    @property
    def may_write(self) -> bool:
        """Whether the request may change the target: said so, or a writing method not said to write nothing."""
        return self.writes is True or (self.method not in READING and self.writes is not False)


class Tls(Item):
    """A TLS service: certificate validity, chain, host name, protocol versions."""

    host: HostName
    port: int = Field(default=443, ge=1, le=65535)
    min_days_valid: int | None = 14
    warn_min_days_valid: int | None = None
    min_version: str | None = None  # TLSv1, TLSv1.1, TLSv1.2, TLSv1.3
    verify_chain: bool = True
    ca_file: str | None = None


class Database(Item):
    """A SQL database reached through a SQLAlchemy URL."""

    url: SecretUrlT
    max_latency: DurationT | None = None
    warn_max_latency: DurationT | None = None
    max_connections_used: RatioT | None = None
    warn_max_connections_used: RatioT | None = None
    max_long_query: DurationT | None = None
    max_blocked: int | None = None
    max_dead_tuples: int | None = None
    warn_max_dead_tuples: int | None = None
    max_replication_lag: DurationT | None = None
    warn_max_replication_lag: DurationT | None = None
    replication: Literal["replica", "primary"] | None = None  # expected: a replica streaming, or replicas connected
    stats_max_age: DurationT | None = None
    max_index_bloat: RatioT | None = None  # the most bloated B-tree index (PostgreSQL, pgstattuple; monthly)
    warn_max_index_bloat: RatioT | None = None
    max_table_growth: RatioT | None = None  # per table, since the previous archived run (weekly)
    warn_max_table_growth: RatioT | None = None
    expect_tables: tuple[str, ...] = ()

    @field_validator("url")
    @classmethod
    def _sql(cls, url: SecretUrl) -> SecretUrl:
        """A SQLAlchemy URL of a SQL dialect; MongoDB has its own section."""
        if url.reveal().lower().startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError(f"{url} is a MongoDB URL: `databases:` holds SQL databases (SQLAlchemy URLs); "
                             "put it under the `mongodb:` section (see docs/mongodb.md)")
        with_scheme(url.reveal(), SQL, driver=True)
        return url


class Cache(Item):
    """A Redis (or Memcached) cache."""

    url: CacheUrlT
    max_latency: DurationT | None = None
    warn_max_latency: DurationT | None = None
    min_hit_rate: RatioT | None = None
    warn_min_hit_rate: RatioT | None = None
    max_memory_used: RatioT | None = None
    warn_max_memory_used: RatioT | None = None
    max_evictions_per_day: int | None = None


class SmtpLogin(Model):
    """Credentials for the optional AUTH check."""

    user: SecretT
    password: SecretT

    @model_validator(mode="after")
    def _remembered(self) -> SmtpLogin:
        """AUTH PLAIN sends user and password together, base64-encoded: mask that form too."""
        remember_login(self.user.reveal(), self.password.reveal())
        return self


class Smtp(Item):
    """A mail relay: connect, EHLO, STARTTLS, optional AUTH; no mail is sent."""

    host: HostName
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False  # implicit TLS (port 465)
    login: SmtpLogin | None = None
    ca_file: str | None = None

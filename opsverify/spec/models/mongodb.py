"""MongoDB deployments checked through pymongo: answers, connections, replication lag, slow operations."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from pydantic import Field, ValidationInfo, field_validator

from opsverify.spec.models.common import Item
from opsverify.spec.secret import SecretUrl
from opsverify.spec.types import Count, DurationT, RatioT, SecretUrlT
from opsverify.spec.units import Duration

SCHEMES = ("mongodb", "mongodb+srv")


def database_of(url: SecretUrl) -> str | None:
    """The database named in a MongoDB URL's path (`mongodb://host/bookings` -> bookings), if any."""
    return unquote(urlsplit(url.reveal()).path.lstrip("/")) or None


class MongoDb(Item):
    """A MongoDB server, replica set or mongos reached through a mongodb:// or mongodb+srv:// URL."""

    url: SecretUrlT
    ca_file: str | None = None  # extra trusted CAs when the URL turns TLS on (mongodb+srv, tls=true)
    max_latency: DurationT | None = None  # ping round trip
    warn_max_latency: DurationT | None = None
    max_connections_used: RatioT | None = None  # serverStatus connections: current / (current + available)
    warn_max_connections_used: RatioT | None = None
    max_replication_lag: DurationT | None = None  # the secondary furthest behind the primary
    warn_max_replication_lag: DurationT | None = None
    slow_op: DurationT = Field(default=Duration(5.0, "5s"), gt=0)  # an operation running this long is slow
    max_slow_ops: Count | None = None  # slow operations that may be running at once
    warn_max_slow_ops: Count | None = None
    expect_collections: tuple[str, ...] = ()  # in the URL's database

    @field_validator("url")
    @classmethod
    def _mongodb_scheme(cls, url: SecretUrl) -> SecretUrl:
        """Only MongoDB connection strings: a SQL URL belongs under `databases:`."""
        scheme = urlsplit(url.reveal()).scheme.lower()
        if scheme not in SCHEMES:
            raise ValueError(f"{url} is not a mongodb:// or mongodb+srv:// URL (SQL databases go under `databases:`)")
        return url

    @field_validator("expect_collections")
    @classmethod
    def _has_a_database(cls, names: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        """Collections are looked up in the URL's database, so the URL must name one."""
        url = info.data.get("url")
        if names and url is not None and database_of(url) is None:
            raise ValueError(f"the URL {url} names no database to look for collections in; "
                             "add it to the path: mongodb://host:27017/bookings")
        return names

"""The whole environment file: one typed, validated Environment."""

from __future__ import annotations

from pydantic import Field, PrivateAttr

from opsverify.spec.models.apps import App
from opsverify.spec.models.aws import Aws
from opsverify.spec.models.backups import Backup
from opsverify.spec.models.common import Model, Severity
from opsverify.spec.models.compliance import Compliance
from opsverify.spec.models.health import BODY_LIMIT, Cache, Database, Endpoint, Smtp, Tls
from opsverify.spec.models.hosts import Host
from opsverify.spec.models.loadtests import LoadTests
from opsverify.spec.models.metrics import Metric
from opsverify.spec.models.mongodb import MongoDb
from opsverify.spec.models.notify import Notify, Waiver
from opsverify.spec.models.pages import Page
from opsverify.spec.models.schedule import Schedule
from opsverify.spec.models.security import Security
from opsverify.spec.types import FolderName, SizeT, TimeoutT
from opsverify.spec.units import Duration


class Defaults(Model):
    """Values every item inherits unless it sets its own."""

    severity: Severity = "P2"
    timeout: TimeoutT = Field(default=Duration(10.0, "10s"), gt=0)
    ca_file: str | None = None  # extra trusted CAs (PEM), for every item that talks TLS
    body_limit: SizeT = Field(default=BODY_LIMIT, gt=0)  # how much of a response body is read


class Environment(Model):
    """One environment (production, staging, the demo): what runs there and what healthy means."""

    environment: FolderName  # names the environment's folder in the archive
    description: str = ""
    production: bool = False
    defaults: Defaults = Defaults()
    redact: tuple[str, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    tls: tuple[Tls, ...] = ()
    databases: tuple[Database, ...] = ()
    caches: tuple[Cache, ...] = ()
    mongodb: tuple[MongoDb, ...] = ()
    smtp: tuple[Smtp, ...] = ()
    backups: tuple[Backup, ...] = ()
    hosts: tuple[Host, ...] = ()
    metrics: tuple[Metric, ...] = ()
    apps: tuple[App, ...] = ()
    pages: tuple[Page, ...] = ()
    security: Security | None = None
    compliance: Compliance | None = None
    aws: Aws | None = None
    loadtests: LoadTests | None = None
    schedule: Schedule | None = None
    notify: tuple[Notify, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    _source_sha256: str | None = PrivateAttr(default=None)

    @property
    def source_sha256(self) -> str | None:
        """SHA-256 (hex) of the bytes this environment was parsed from, as spec.load() read them."""
        return self._source_sha256

    def with_source(self, sha256: str) -> Environment:
        """A copy that knows the SHA-256 of the bytes it was parsed from."""
        copy = self.model_copy()
        copy._source_sha256 = sha256
        return copy

"""Keys every checked entry shares (severity, cadence, tags, controls, timeout), the named Item and the Listed entry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from opsverify.spec.types import STRICT, Name, TimeoutT

Severity = Literal["P1", "P2", "P3", "P4"]
Cadence = Literal["daily", "weekly", "monthly", "quarterly"]


class Model(BaseModel):
    """A strict, frozen section of the environment file."""

    model_config = STRICT


class Entry(Model):
    """Anything checked: carries the common keys. After loading, severity and timeout are never None."""

    severity: Severity | None = None  # resolved on load: own, else the enclosing entry's, else defaults
    cadence: Cadence | None = None  # None: the check family's default
    tags: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    timeout: TimeoutT | None = Field(default=None, gt=0)  # resolved on load like severity; at most 24h

    @property
    def smoke(self) -> bool:
        """Tagged for the post-deploy gate."""
        return "smoke" in self.tags


class Item(Entry):
    """A named entry of a list section; the name is its pytest id."""

    name: Name

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """The name first, so a printed item says at once which one it is."""
        args = list(super().__repr_args__())
        return iter(sorted(args, key=lambda pair: pair[0] != "name"))


class Listed(Entry):
    """An entry of a list that may carry `name`: its test id when given, else one made from its own keys."""

    model_config = STRICT | ConfigDict(populate_by_name=False)  # the file says `name`, never `given_name`

    given_name: Name | None = Field(default=None, alias="name")

    @property
    def name(self) -> str:
        """The test id: the name given, else the entry's own id (its path, `host:path`, …)."""
        return self.given_name or self.own_id

    @property
    def own_id(self) -> str:
        """The id made from the entry's keys, used when it has no name."""
        raise NotImplementedError


def located(host: str | None, path: str) -> str:
    """The id of an unnamed entry about a path on a host: `web1:/var/log/app` (`local` for no host)."""
    return f"{host or 'local'}:{path}"

"""Keys every checked entry shares (severity, cadence, tags, controls, timeout) and the named Item."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, Field

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


def located(host: str | None, path: str) -> str:
    """The id of an unnamed entry about a path on a host: `web1:/var/log/app` (`local` for no host)."""
    return f"{host or 'local'}:{path}"

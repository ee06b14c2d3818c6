"""Build typed environment items in tests the way the loader would, with a short timeout."""

from __future__ import annotations

from typing import Any, TypeVar

from opsverify.spec.models.common import Item

T = TypeVar("T", bound=Item)


def item(model: type[T], /, **fields: Any) -> T:
    """`model` validated from fields, named "t" with timeout 2s unless given."""
    return model.model_validate({"name": "t", "timeout": "2s", **fields})

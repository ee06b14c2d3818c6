"""Read the models' own type annotations: which keys a model has, what a list holds, what a literal allows."""

from __future__ import annotations

import functools
import types
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin

from pydantic import BaseModel


def unwrap(annotation: Any) -> Any:
    """The annotation without `Annotated[...]` and without `| None`."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
            continue
        members = union_members(annotation)
        if len(members) == 1:
            annotation = members[0]
            continue
        return annotation


def union_members(annotation: Any) -> tuple[Any, ...]:
    """The non-None members of a union (empty for anything else)."""
    if get_origin(annotation) in (Union, types.UnionType):
        return tuple(arg for arg in get_args(annotation) if arg is not type(None))
    return ()


def is_model(annotation: Any) -> bool:
    """Whether the annotation is a pydantic model class."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def keys_of(model: type[BaseModel]) -> dict[str, Any]:
    """A model's keys as the file spells them (aliases included), each with its annotation."""
    return {info.alias or name: info.annotation for name, info in model.model_fields.items()}


def element(annotation: Any) -> Any:
    """What a list, tuple or dict annotation holds (its value type), else None."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (tuple, list) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def literal_choices(annotation: Any) -> tuple[str, ...]:
    """The allowed values of a Literal annotation, as text."""
    annotation = unwrap(annotation)
    return tuple(str(arg) for arg in get_args(annotation)) if get_origin(annotation) is Literal else ()


class Nested(NamedTuple):
    """A field that holds a model, or a list of models."""

    attribute: str  # the field's name in Python
    key: str  # the key in the file (the alias, if any)
    model: type[BaseModel]
    many: bool  # a list (tuple) of them


@functools.cache
def nested_models(model: type[BaseModel]) -> tuple[Nested, ...]:
    """The fields of a model that hold models, read once per model class."""
    out = []
    for name, info in model.model_fields.items():
        annotation = unwrap(info.annotation)
        inner = unwrap(element(annotation))
        if is_model(inner) or is_model(annotation):
            out.append(Nested(name, info.alias or name, inner if is_model(inner) else annotation, is_model(inner)))
    return tuple(out)

"""Reading a run's JSON files into typed records, tolerant of what older runs wrote.

A run directory outlives the code that wrote it: fields are added over time, and a crash or a
hand edit can leave a value of the wrong type. :func:`tolerant` builds a dataclass from a parsed
JSON object field by field: a missing field gets the dataclass's default, a value of the wrong
type is treated as missing, keys the dataclass does not know are ignored. Required fields
(those without a default) that are missing or wrong make the whole record unreadable (None).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")
_BAD = object()


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def tolerant(cls: type[T], data: dict[str, Any]) -> T | None:
    """An instance of the dataclass ``cls`` from ``data`` (see the module docstring)."""
    hints = _hints(cls)
    known: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = coerce(data[f.name], hints[f.name]) if f.name in data else _BAD
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if value is not _BAD:
            known[f.name] = value
        elif required:
            return None
    return cls(**known)


def coerce(value: Any, kind: Any) -> Any:
    """``value`` as ``kind`` (a field type: bool, int, float, str, list[...], dict[...], or
    one of them or None), or a marker that it is not one."""
    union = typing.get_origin(kind) in (typing.Union, types.UnionType)
    if value is None:
        return None if union and type(None) in typing.get_args(kind) else _BAD
    target = next(k for k in typing.get_args(kind) if k is not type(None)) if union else kind
    base = typing.get_origin(target) or target
    if base is bool:
        return value if isinstance(value, bool) else _BAD
    if base in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _BAD
        if not math.isfinite(float(value)) or (base is int and float(value) != int(value)):
            return _BAD
        return base(value)
    if base is str:
        return str(value)
    if base is list:
        (item,) = typing.get_args(target) or (str,)
        items = [coerce(v, item) for v in value] if isinstance(value, list) else [_BAD]
        return _BAD if any(i is _BAD for i in items) else items
    if base is dict:
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else _BAD
    return _BAD

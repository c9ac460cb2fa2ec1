"""Turn the signals' frozen dataclasses, enums and dates into JSON values, fast.

A weekly review holds tens of thousands of values; a chain of isinstance checks per value
cost more than building the review. Each type gets its converter once, looked up by exact
type after that.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from enum import Enum
from typing import Any

from signals.types import RiskScore, StoredScore

__all__ = ["to_json"]

Converter = Callable[[Any], Any]


def to_json(value: Any) -> Any:
    """Return `value` as JSON-ready data (dicts, lists, strings, numbers, booleans, None)."""
    convert = _CONVERTERS.get(type(value))
    if convert is None:
        convert = _CONVERTERS[type(value)] = _converter_for(type(value))
    return convert(value)


def _same(value: Any) -> Any:
    return value


def _risk(value: RiskScore | StoredScore) -> Any:
    return value.to_dict()  # the same object, built directly (a review holds thousands of factors)


def _mapping(value: dict[Any, Any]) -> Any:
    return {str(to_json(k)): to_json(v) for k, v in value.items()}


def _sequence(value: list[Any] | tuple[Any, ...]) -> Any:
    return [to_json(v) for v in value]


def _enum(value: Enum) -> Any:
    return value.value


def _iso(value: dt.date) -> Any:
    return value.isoformat()


def _dataclass(kind: type) -> Converter:
    names = tuple(f.name for f in dataclasses.fields(kind))

    def convert(value: Any) -> Any:
        return {name: to_json(getattr(value, name)) for name in names}

    return convert


def _converter_for(kind: type) -> Converter:
    if issubclass(kind, RiskScore | StoredScore):
        return _risk
    if dataclasses.is_dataclass(kind):
        return _dataclass(kind)
    if issubclass(kind, dict):
        return _mapping
    if issubclass(kind, list | tuple):
        return _sequence
    if issubclass(kind, Enum):  # before str: the signals' enums are str enums
        return _enum
    if issubclass(kind, dt.date):  # datetimes too
        return _iso
    return _same


_CONVERTERS: dict[type, Converter] = {str: _same, int: _same, float: _same, bool: _same, type(None): _same}

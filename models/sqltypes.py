"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no timezone-aware timestamps and no native decimals, so these decorators keep
what Python code sees identical on both: aware UTC datetimes, exact `Decimal` amounts and
`StrEnum` members stored by value in a plain VARCHAR (no native PostgreSQL enum types, so
adding a value never needs a migration).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine


def utcnow() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """An aware UTC timestamp; naive values are refused rather than guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use an aware UTC datetime")
        value = value.astimezone(dt.UTC)
        # SQLite stores text: drop the offset so stored values sort and compare as plain UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """Read values with one plain function per dialect (no decorator hook per value)."""
        if dialect.name == "sqlite":
            # Re-scoring reads ~10 timestamps a deal: one C parse of the stored text instead of
            # SQLAlchemy's parse, this decorator's hook and a `replace` (~12 % of reading deals).
            return sqlite_text_to_utc
        # PostgreSQL sessions run in UTC (`models.db`): the driver's values come back as they are.
        return aware_to_utc


def aware_to_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Read a timestamp the driver returns as a datetime (PostgreSQL): already UTC in a UTC session."""
    if value is None or value.tzinfo is dt.UTC:
        return value
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def sqlite_text_to_utc(value: str | dt.datetime | None) -> dt.datetime | None:
    """Read a timestamp SQLite holds as naive UTC text ("2026-12-05 01:38:16.123456")."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value + "+00:00")
        except ValueError:  # not the stored form (e.g. written with an offset by hand)
            value = dt.datetime.fromisoformat(value)
    return aware_to_utc(value)


class Money(sa.TypeDecorator[Decimal]):
    """A decimal amount with 2 places: NUMERIC on PostgreSQL, exact text-free REAL round trip on SQLite."""

    impl = sa.Numeric(18, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            # asdecimal=False avoids SQLAlchemy's lossy-float warning; we quantize on the way out.
            return dialect.type_descriptor(sa.Numeric(18, 2, asdecimal=False))
        return dialect.type_descriptor(sa.Numeric(18, 2))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value).quantize(Decimal("0.01"))
        return float(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(Decimal("0.01"))


def enum_column(enum_cls: type[StrEnum]) -> sa.Enum:
    """Return a VARCHAR column type that stores `enum_cls` members by value."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )

"""Errors raised by the signals stage.

SignalsError
├── ConfigError          a RiskConfig value or stored JSON is invalid
├── UnknownStageError    a stage name matches no stage
├── PeriodError          a period string is not "2026-Q3", "2026-03" or "2026-W14"
└── MixedCurrencyError   amounts in different currencies would be summed
"""

from __future__ import annotations


class SignalsError(Exception):
    """Base for every error the signals stage raises."""


class ConfigError(SignalsError):
    """A RiskConfig value (or its stored JSON) is invalid."""


class UnknownStageError(SignalsError):
    """A stage name or id matches no stage."""


class PeriodError(SignalsError):
    """A period label cannot be parsed."""


class MixedCurrencyError(SignalsError):
    """Deals in more than one currency were summed without choosing one."""


class NaiveDatetimeError(SignalsError, ValueError):
    """A datetime without a timezone was given where an aware one is required."""

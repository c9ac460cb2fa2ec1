"""Errors raised while extracting insights.

ExtractError
└── ModelLoadError   a bundled model or trained head cannot be loaded
"""

from __future__ import annotations


class ExtractError(Exception):
    """Base for every error the extract stage raises."""


class ModelLoadError(ExtractError):
    """A model package or trained head is missing or unreadable."""

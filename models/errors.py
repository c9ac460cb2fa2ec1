"""Errors raised by the persistence layer.

ModelsError
├── DatabaseUnavailableError   the database cannot be reached or opened
├── NotFoundError              a referenced row does not exist (e.g. unknown owner_email)
└── VersionConflictError       a write based on a stale `version` (If-Match) was refused
"""

from __future__ import annotations


class ModelsError(Exception):
    """Base class of every error raised by `models`."""


class DatabaseUnavailableError(ModelsError):
    """The database cannot be reached, opened or authenticated against."""


class NotFoundError(ModelsError):
    """A row the caller referred to (by email, id or external id) does not exist."""


class VersionConflictError(ModelsError):
    """The row changed since the caller read it; re-read and retry."""

    def __init__(self, message: str, *, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class AlreadyExistsError(ModelsError):
    """A row with the same unique key (email, external id) already exists."""

"""models: persistence (SQLModel tables, Alembic migrations, keyword-only crud functions)."""

from __future__ import annotations

from models import crud
from models.db import check_connection, current_revision, downgrade, get_session, make_engine, migrate
from models.errors import DatabaseUnavailableError, ModelsError, NotFoundError, VersionConflictError

__all__ = [
    "DatabaseUnavailableError",
    "ModelsError",
    "NotFoundError",
    "VersionConflictError",
    "check_connection",
    "crud",
    "current_revision",
    "downgrade",
    "get_session",
    "make_engine",
    "migrate",
]

"""The change feed: every committed change to deals, next steps and risk, in commit order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import MAX_ID, SessionDep, require_roles
from models import crud
from models.enums import Role
from models.schemas import ChangesPublic
from models.tables import User

router = APIRouter(prefix="/v1/changes", tags=["changes"])

FeedReader = Annotated[User, Depends(require_roles(Role.REVOPS, Role.LEADER))]


@router.get("", response_model=ChangesPublic, responses={401: {}, 403: {}, 422: {}})
def list_changes(
    session: SessionDep,
    _user: FeedReader,
    since: Annotated[int | None, Query(ge=0, le=MAX_ID, description="the previous page's `next`")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ChangesPublic:
    """List changes after the cursor `since` (from the beginning without it), oldest first."""
    # Ids are the commit order: record_change serialises change-row commits on PostgreSQL
    # and SQLite has one writer, so a reader resuming from `next` never skips a late commit.
    events = crud.list_changes(session, since=since, limit=limit)
    return crud.changes_to_public(events, since)

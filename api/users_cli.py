"""`dealsignal users`: people and their API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from api.config import get_settings
from api.errors_cli import cli_errors
from models import crud
from models.db import make_engine, migrate
from models.enums import Role

users_app = typer.Typer(help="Create users and their API keys.", no_args_is_help=True)


@users_app.command("create")
def create_user(
    name: Annotated[str, typer.Option(help="Full name.")],
    email: Annotated[str, typer.Option(help="Email address (unique).")],
    role: Annotated[Role, typer.Option(help="rep, manager, leader or revops.")],
    manager: Annotated[str | None, typer.Option(help="The manager's email (for reps).")] = None,
) -> None:
    """Create a user and print their API key once, alone on the last line."""
    with cli_errors():
        settings = get_settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        try:
            migrate(engine)
            with Session(engine) as session:
                user, key = crud.create_user(
                    session, name=name, email=email, role=role, manager_email=manager
                )
                typer.echo(f"created {user.role.value} {user.name} <{user.email}> (id {user.id}); API key:")
        finally:
            engine.dispose()
        typer.echo(key)

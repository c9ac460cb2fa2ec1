"""Turn the stages' errors into one line on standard error and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.exc import OperationalError

from extract.errors import ExtractError
from models.errors import DatabaseUnavailableError, ModelsError
from transcribe.errors import TranscribeError

# Exit codes: 2 for the caller's input (as argparse/typer use), 3 for a dependency that is down,
# 4 for missing or broken models.
EXIT_INPUT = 2
EXIT_UNAVAILABLE = 3
EXIT_MODEL = 4


@contextmanager
def cli_errors() -> Iterator[None]:
    """Run a command body; known errors become `error: ...` on stderr and an exit code."""
    try:
        yield
    except TranscribeError as exc:
        _fail(str(exc), EXIT_INPUT)
    except DatabaseUnavailableError as exc:
        _fail(str(exc), EXIT_UNAVAILABLE)
    except OperationalError as exc:
        _fail(f"cannot connect to the database: {exc.orig or exc}", EXIT_UNAVAILABLE)
    except ModelsError as exc:
        _fail(str(exc), EXIT_INPUT)
    except ExtractError as exc:
        _fail(str(exc), EXIT_MODEL)
    except FileNotFoundError as exc:
        _fail(f"no such file: {exc.filename}", EXIT_INPUT)
    except IsADirectoryError as exc:
        _fail(f"is a folder, not a file: {exc.filename}", EXIT_INPUT)


def _fail(message: str, code: int) -> None:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code)

"""The `dealsignal` command line.

Errors print one line on standard error and exit with a non-zero code; no tracebacks.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from api import analysis, reports
from api.config import get_settings
from api.errors_cli import cli_errors
from api.gctuning import tune_for_server
from api.users_cli import users_app

app = typer.Typer(
    name="dealsignal",
    help="DealSignal: turn sales calls into next steps, stakeholders, objections and deal risk.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(users_app, name="users")
demo_app = typer.Typer(help="Load the demo accounts, deals and calls.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


DateOption = Annotated[
    str | None,
    typer.Option("--date", help="The call's date (YYYY-MM-DD); relative dates resolve against it."),
]


@app.command()
def analyze(
    file: Annotated[
        Path, typer.Argument(help="A transcript (JSON, WebVTT, SRT, text) or an audio recording.")
    ],
    output_format: Annotated[
        str, typer.Option("--format", help="json: the call-insights object; text: a summary to read.")
    ] = "json",
    date: DateOption = None,
    framework: Annotated[str | None, typer.Option(help="Methodology: MEDDICC, BANT or SPICED.")] = None,
) -> None:
    """Print the insights of one call: next steps, stakeholders, objections, talk metrics."""
    if output_format not in {"json", "text"}:
        raise typer.BadParameter("--format must be json or text")
    with cli_errors():
        insights = analysis.analyze_file(
            file, settings=get_settings(), date=_parse_date(date), framework=framework
        )
        if output_format == "json":
            json.dump(insights.to_dict(), sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            sys.stdout.write(reports.insights_text(insights))


@app.command()
def transcribe(
    file: Annotated[
        Path, typer.Argument(help="An audio recording (wav, flac, mp3, m4a, ogg, opus, webm, amr).")
    ],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the transcript JSON here.")
    ] = None,
    speakers: Annotated[int | None, typer.Option(help="Number of speakers in a mono recording.")] = None,
    rep_channel: Annotated[str | None, typer.Option(help="Stereo: the rep's channel, left or right.")] = None,
    participants: Annotated[
        list[str] | None, typer.Option("--participants", help="'Name=rep' or 'Name=buyer', repeatable.")
    ] = None,
    date: DateOption = None,
) -> None:
    """Transcribe a recording into the transcript JSON format, with speakers and sides."""
    with cli_errors():
        transcript = analysis.transcribe_file(
            file,
            settings=get_settings(),
            date=_parse_date(date),
            speakers=speakers,
            rep_channel=rep_channel,
            participants=participants or [],
            show_progress=sys.stderr.isatty(),
        )
        analysis.write_transcript(transcript, output)


@app.command()
def migrate() -> None:
    """Bring the database to the latest schema."""
    with cli_errors():
        url = analysis.migrate_database(get_settings())
        typer.echo(f"database at the latest schema: {url}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes (use the cores).")] = 1,
) -> None:
    """Serve the API (and the web pages); migrates the database first."""
    import uvicorn

    with cli_errors():
        settings = get_settings()
        analysis.migrate_database(settings)
    typer.echo(f"DealSignal on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "api.main:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # A worker answers the parent's health pings only once it has imported this module (spaCy,
        # torch: 10+ s on a busy machine); at uvicorn's 5 s default the parent kills it, forever.
        timeout_worker_healthcheck=120,
    )


@app.command()
def train(
    corpus: Annotated[Path, typer.Option(help="Labelled training calls.")] = Path("fixtures/corpus/train"),
    out: Annotated[
        Path | None, typer.Option(help="Where to write the heads (default: the shipped ones).")
    ] = None,
    meetings: Annotated[
        Path | None,
        typer.Option(help="Meeting calls for the meeting head (ami_to_calls.py --split train)."),
    ] = None,
) -> None:
    """Train the utterance classifier heads on the labelled training split (deterministic)."""
    with cli_errors():
        typer.echo(analysis.train_heads(corpus, out, meetings))


@app.command()
def review(
    team: Annotated[str, typer.Option(help="The manager's email.")],
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W49 (default: this week).")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Print the weekly pipeline review of a manager's team."""
    with cli_errors():
        data = analysis.review_team(get_settings(), team=team, week=week)
        if output_format == "json":
            json.dump(data, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            sys.stdout.write(reports.review_text(data))


@app.command()
def rescore() -> None:
    """Re-score every deal now (the server also does it every DEALSIGNAL_RUNNER__RESCORE_INTERVAL_S)."""
    tune_for_server()  # one long job: nothing frozen now needs freeing before the process ends
    with cli_errors():
        typer.echo(analysis.rescore_all(get_settings()))


@demo_app.command("load")
def demo_load(
    fixtures: Annotated[Path, typer.Option(help="The demo folder.")] = Path("fixtures/demo"),
) -> None:
    """Create the demo users, accounts and deals and process the demo calls (idempotent)."""
    from api.demo import load_demo

    with cli_errors():
        for line in load_demo(fixtures, settings=get_settings()):
            typer.echo(line)


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Calls processed at once by this worker.")] = 1,
    pool: Annotated[
        str | None, typer.Option(help="solo (default for 1), prefork (default above 1) or threads.")
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help="Threads per call (default DEALSIGNAL_TRANSCRIBE__CPU_THREADS).")
    ] = None,
    lease_s: Annotated[
        float | None, typer.Option(help="Seconds before a silent worker's call is taken over.")
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve this worker's stage durations for Prometheus.")
    ] = None,
) -> None:
    """Process queued calls from the broker (DEALSIGNAL_RUNNER__BROKER_URL); run one per machine or more."""
    from api.worker import run_worker

    with cli_errors():
        run_worker(
            get_settings(),
            concurrency=concurrency,
            pool=pool,
            threads=threads,
            lease_s=lease_s,
            metrics_port=metrics_port,
        )


def main() -> None:
    """Entry point for `python -m api.cli`."""
    app()


if __name__ == "__main__":
    main()

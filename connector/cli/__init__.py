"""The ``referee`` command line: one module per command, each thin."""

from __future__ import annotations

from typing import Annotated

import typer

from connector import __version__
from connector.cli.doctor import doctor_command
from connector.cli.exempt import exempt_app
from connector.cli.report import export_command, report_command, stats_command
from connector.cli.runs import journal_command, runs_command
from connector.cli.sync import plan_command, sync_command
from connector.cli.validate import validate_command

app = typer.Typer(
    name="referee",
    help="crm-referee: finds reps chasing the same customer (撞单) and leads past their follow-up SLA, "
    "and writes back reassignments, flags and notes. Dry-run is the default.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"referee (crm-referee) {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """crm-referee command line."""


app.command("sync")(sync_command)
app.command("plan")(plan_command)
app.command("validate")(validate_command)
app.command("doctor")(doctor_command)
app.command("runs")(runs_command)
app.command("journal")(journal_command)
app.command("stats")(stats_command)
app.command("report")(report_command)
app.command("export")(export_command)
app.add_typer(exempt_app, name="exempt")


def _register_optional() -> None:
    """Commands whose modules other parts of the project provide."""
    import importlib

    for module, attr, name in (("connector.cli.zoho", "zoho_app", "zoho"),):
        try:
            sub = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue
        app.add_typer(sub, name=name)
    for module, attr, name in (
        ("connector.cli.check", "check_command", "check"),
        ("connector.cli.serve", "serve_command", "serve"),
        ("connector.cli.serve", "worker_command", "worker"),
    ):
        try:
            command = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue
        app.command(name)(command)
    try:
        from connector.cli.serve import inbox_app
    except ImportError:
        return
    app.add_typer(inbox_app, name="inbox")


_register_optional()


def main() -> None:
    app()

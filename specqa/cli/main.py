"""The ``specqa`` command: the subcommands of each module in :mod:`specqa.cli.commands`,
registered here explicitly. Each is a thin shell over a library call."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from specqa.cli.commands import audit, bank, corpus, feedback, ingest, mcp, query, releases, serve

__all__ = ["app", "main"]

COMMAND_MODULES = (ingest, query, corpus, releases, serve, mcp)


class _OneLineErrors(TyperGroup):
    """A bad option value, a missing argument, an unknown command or a file that cannot be read
    or written is reported like every other bad input: one line on stderr (``specqa: error:
    …``) and exit 2, not click's usage box or a traceback. ``--help`` and a bare command group
    still print their help."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False  # errors come back here instead of being shown
        try:
            returned = super().main(*args, **kwargs)
        except typer.TyperException as exc:  # typer's own click: UsageError, BadParameter, …
            if type(exc).__name__ == "NoArgsIsHelpError":  # its message is the help itself
                typer.echo(exc.format_message())
            else:
                typer.echo(f"specqa: error: {exc.format_message()}", err=True)
            sys.exit(getattr(exc, "exit_code", 2))
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        except OSError as exc:  # a file named on the command line: cannot be read or written
            where = f": {exc.filename}" if exc.filename else ""
            typer.echo(f"specqa: error: {exc.strerror or exc}{where}", err=True)
            sys.exit(2)
        if isinstance(returned, int):  # typer.Exit(code), returned rather than raised
            sys.exit(returned)
        return returned


def build_app() -> typer.Typer:
    app = typer.Typer(
        cls=_OneLineErrors,
        no_args_is_help=True,
        add_completion=False,
        help="Ask questions of OpenAI's Model Spec.",
    )
    for module in COMMAND_MODULES:
        app.registered_commands += module.commands.registered_commands
    app.add_typer(corpus.examples_app, name="examples")
    app.add_typer(feedback.feedback_app, name="feedback")
    app.add_typer(bank.bank_app, name="bank")
    app.add_typer(audit.audit_app, name="audit")
    return app


app = build_app()


def main() -> None:
    app()

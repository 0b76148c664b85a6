"""The ``specqa`` command: the subcommands of each module in :mod:`specqa.cli.commands`,
registered here explicitly. Each is a thin shell over a library call."""

from __future__ import annotations

import typer

from specqa.cli.commands import audit, bank, corpus, feedback, ingest, mcp, query, releases, serve

__all__ = ["app", "main"]

COMMAND_MODULES = (ingest, query, corpus, releases, serve, mcp)


def build_app() -> typer.Typer:
    app = typer.Typer(
        no_args_is_help=True, add_completion=False, help="Ask questions of OpenAI's Model Spec."
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

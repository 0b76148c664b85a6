"""Subcommands of ``specqa``; importing this package registers them on :data:`specqa.cli.app`."""

from specqa.commands import audit, corpus, ingest, mcp, query, releases, serve  # noqa: F401

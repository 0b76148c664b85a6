"""The subcommands, one module per theme; each module's ``commands`` are registered by
:func:`specqa.cli.main.build_app`."""

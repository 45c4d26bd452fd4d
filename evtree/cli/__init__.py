"""The ``evtree`` command line: one subcommand per analysis, each a thin call into the library."""

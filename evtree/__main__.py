"""Run the command line: ``python -m evtree ...``."""

from .cli.main import main

raise SystemExit(main())

"""Run every benchmark module and print each figure beside its baseline.

Each ``benchmarks/bench_*.py`` defines ``run() -> list[Row]``: a figure measured
in this run, the baseline measured in the same run, and the goal the issue
states.  This is a report, not a timed test: it never fails on speed.

    python benchmarks/run.py            # all
    python benchmarks/run.py core psa   # only bench_core.py and bench_psa.py
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import Row, print_rows  # noqa: E402


def main(argv: list[str]) -> int:
    wanted = set(argv)
    modules = sorted(HERE.glob("bench_*.py"))
    rows: list[Row] = []
    for path in modules:
        short = path.stem.removeprefix("bench_")
        if wanted and short not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        assert spec.loader is not None
        spec.loader.exec_module(module)
        print(f"== {path.name}", flush=True)
        start = time.perf_counter()
        new = module.run()
        print_rows(new)
        print(f"   ({time.perf_counter() - start:.1f} s)\n", flush=True)
        rows.extend(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

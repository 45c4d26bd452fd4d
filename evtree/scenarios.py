"""Scenario tables: run an analysis once per row of parameter values, one row of results each.

    read_scenarios   a CSV file (one row per scenario, a column per parameter) as a DataFrame
    scenarios        run ``evaluate``, ``psa``, ``one_way`` or any function at every row

A column named ``scenario`` labels the rows; every other column must be a
parameter of the tree.  A blank cell leaves the parameter at its default.
Values are read exactly (``1/3`` and ``0.1`` stay exact), so exact and symbolic
arithmetic work per scenario as they do with ``--set``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from typing import Any

from .core import model
from .core.errors import FileFormatError, ModelError, UnknownNameError
from .core.evaluate import evaluate
from .core.expressions import exact_number

__all__ = ["ANALYSES", "ScenarioResults", "read_scenarios", "scenarios"]

#: The analyses :func:`scenarios` runs by name.
ANALYSES = ("evaluate", "psa", "one_way")

#: The column that labels scenarios (optional).
LABEL = "scenario"


def read_scenarios(path: str | os.PathLike[str]) -> Any:
    """Read a scenario table from a CSV file, keeping every cell as text (read exactly later).

    Raises
    ------
    FileFormatError
        If the file cannot be read or has no rows; the message names the file.
    """
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise FileFormatError("no such file", where=str(path)) from None
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise FileFormatError(f"cannot read the scenario table: {err}", where=str(path)) from None
    if frame.empty:
        raise FileFormatError("the scenario table has no rows", where=str(path))
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["source"] = str(path)
    return frame


def _rows(tree: model.DecisionTree, table: Any) -> list[tuple[str, dict[str, Any]]]:
    """Return the scenarios of a table: (label, {parameter: exact value}), values checked."""
    import pandas as pd

    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    source = frame.attrs.get("source", "<table>")
    columns = [c for c in frame.columns if c != LABEL]
    unknown = [c for c in columns if c not in tree.parameters]
    if unknown:
        known = ", ".join(tree.parameters) or "none"
        raise UnknownNameError(
            f"column {unknown[0]!r} is not a parameter of the tree (parameters: {known})", where=source
        )
    out = []
    for i, (_, row) in enumerate(frame.iterrows()):
        label = str(row[LABEL]) if LABEL in frame.columns else str(i + 1)
        values: dict[str, Any] = {}
        for c in columns:
            cell = row[c]
            if (
                cell is None
                or (isinstance(cell, str) and not cell.strip())
                or (isinstance(cell, float) and cell != cell)
            ):
                continue
            try:
                values[c] = exact_number(cell.strip() if isinstance(cell, str) else cell)
            except (TypeError, ValueError, ModelError) as err:
                raise ModelError(
                    f"scenario {label!r}, column {c!r}: cannot read {cell!r} as a number ({err})",
                    where=f"{source}:{i + 2}",
                ) from None
        out.append((label, values))
    return out


def _evaluate_row(tree: model.DecisionTree, values: Mapping[str, Any], **options: Any) -> dict[str, Any]:
    r = evaluate(tree, values, **options)
    row: dict[str, Any] = {"value": r.value}
    if r.expected_utility is not None:
        row["expected_utility"] = r.expected_utility
    for key, label in r.policy.items():
        row[f"policy: {key}"] = label
    return row


def _psa_row(tree: model.DecisionTree, values: Mapping[str, Any], **options: Any) -> dict[str, Any]:
    from .psa import psa

    options.setdefault("progress", False)
    r = psa(tree, values={k: float(v) for k, v in values.items()}, **options)
    row: dict[str, Any] = {}
    means = r.values.mean(axis=1)
    best = means.argmax() if r.objective == "max" else means.argmin()
    for name, mean in zip(r.strategies, means):
        row[f"mean: {name}"] = float(mean)
    winners = r.values.argmax(axis=0) if r.objective == "max" else r.values.argmin(axis=0)
    for k, name in enumerate(r.strategies):
        row[f"P(best): {name}"] = float((winners == k).mean())
    row["best"] = r.strategies[int(best)]
    return row


def _one_way_row(
    tree: model.DecisionTree, values: Mapping[str, Any], *, parameter: str, **options: Any
) -> dict[str, Any]:
    from .sensitivity import one_way

    r = one_way(tree, parameter, values=dict(values), **options)
    ts = list(r.thresholds.thresholds)
    return {
        "optimal_at_low": r.thresholds.optimal_at_low,
        "thresholds": "; ".join(str(t.exact if t.exact is not None else t.value) for t in ts),
        "n_thresholds": len(ts),
    }


@dataclasses.dataclass(frozen=True, eq=False)
class ScenarioResults:
    """One row of results per scenario.

    Attributes
    ----------
    frame : pandas.DataFrame
        Indexed by scenario; the parameter values given, then the results.
    analysis : str
        The analysis run at every row.
    method : str
        How the results were produced (the analysis, per scenario).
    """

    frame: Any
    analysis: str
    method: str

    def to_frame(self) -> Any:
        """Return the table (a copy)."""
        return self.frame.copy()

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p><b>Scenarios</b> ({self.analysis})</p>" + self.frame.to_html()


def scenarios(
    tree: model.DecisionTree,
    table: Any,
    analysis: str | Callable[..., Mapping[str, Any]] = "evaluate",
    **options: Any,
) -> ScenarioResults:
    """Run an analysis once per scenario (row) of a table of parameter values.

    Parameters
    ----------
    tree : DecisionTree
    table : pandas.DataFrame, mapping of columns, or path of a CSV file
        One row per scenario, one column per parameter (blank: the default);
        an optional ``scenario`` column labels the rows.
    analysis : {"evaluate", "psa", "one_way"} or callable, default "evaluate"
        ``evaluate``: value, expected utility and policy; ``psa``: every
        strategy's mean value and probability of being best; ``one_way`` (give
        ``parameter=NAME``): the thresholds.  A callable is called as
        ``analysis(tree, values, **options)`` and returns a mapping, one row.
    **options
        Passed to the analysis (``method="exact"``, ``draws=...``, ``seed=...``).

    Returns
    -------
    ScenarioResults

    Examples
    --------
    >>> import pandas as pd
    >>> from evtree.library import korea_talks
    >>> table = pd.DataFrame({"scenario": ["base", "cheap"], "c_talk": ["2", "0"]})
    >>> scenarios(korea_talks(), table, method="exact").frame["value"].tolist()
    [41/2, 45/2]
    """
    import pandas as pd

    if isinstance(table, (str, os.PathLike)):
        table = read_scenarios(table)
    runners: dict[str, Callable[..., Mapping[str, Any]]] = {
        "evaluate": _evaluate_row,
        "psa": _psa_row,
        "one_way": _one_way_row,
    }
    if isinstance(analysis, str):
        if analysis not in runners:
            raise ValueError(f"analysis must be one of {', '.join(ANALYSES)} or a function, got {analysis!r}")
        run, name = runners[analysis], analysis
    else:
        run, name = analysis, getattr(analysis, "__name__", "function")
    rows = []
    for label, values in _rows(tree, table):
        result = dict(run(tree, values, **options))
        rows.append({LABEL: label, **{k: values.get(k) for k in tree.parameters if k in values}, **result})
    frame = pd.DataFrame(rows).set_index(LABEL)
    method = f"{name} at each scenario"
    if "method" in options:
        method += f" ({options['method']} arithmetic)"
    return ScenarioResults(frame=frame, analysis=name, method=method)

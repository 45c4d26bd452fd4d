"""Imperfect information and Bayes revision, with the formulas kept.

    Test            a test or signal on a chance node, described by its likelihoods
    posteriors      P(signal) and P(state | signal) of a test, as exact numbers or expressions
    signal_tree       the tree in which the test's result is known before the first decision it could inform
    with_test       the tree with a first decision: buy the test (paying its cost) or not
    evsi            expected value of sample information and the most worth paying -> VOIResult
    flip            exchange a chance node with the chance nodes below it (Bayes' rule)

A test observes a signal whose probabilities depend on the outcome (the *state*)
of a chance node: ``P(signal | state)``, given as numbers or expressions over the
tree's parameters, e.g. a sensitivity and a specificity.  The probability of each
signal and the posterior probabilities of the states come from Bayes' rule and
stay expressions, so the tree with the test can still be evaluated symbolically
and analysed for sensitivity.

Examples
--------
Hillier and Lieberman's Goferbroke: a seismic survey reports favourable (FSS) or
unfavourable (USS) soundings.

>>> from evtree import Branch, Chance, Decision, DecisionTree, Terminal
>>> oil = Chance("oil", [Branch("oil", Terminal(700), probability="1/4"),
...                      Branch("dry", Terminal(-100), probability="rest")])
>>> tree = DecisionTree(Decision("drill?", [Branch("drill", oil), Branch("sell", Terminal(90))]))
>>> survey = Test("oil", {"oil": {"FSS": "0.6", "USS": "rest"},
...                        "dry": {"FSS": "0.2", "USS": "rest"}}, cost=30)
>>> posteriors(tree, survey)[["signal", "state", "posterior"]].values.tolist()
[['FSS', 'oil', 1/2], ['FSS', 'dry', 1/2], ['USS', 'oil', 1/7], ['USS', 'dry', 6/7]]
>>> evsi(tree, survey, method="exact").value
53
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from .core import model
from .core.errors import ModelError, ProbabilityError
from .core.expressions import as_expr, parse_expression, symbol
from .voi import (
    VOIResult,
    _add_payoffs,
    _assemble,
    _copy,
    _derived_tree,
    _exact_point,
    _informed,
    _probabilities,
    _same,
    compare,
    resolve_events,
)

__all__ = ["Test", "evsi", "flip", "posteriors", "signal_tree", "with_test"]


@dataclasses.dataclass(frozen=True)
class Test:
    """A test (signal, survey, market study) on a chance node.

    Parameters
    ----------
    node : str or tuple of str
        The chance node whose outcome the test is informative about (a tuple:
        several nodes that are one event, with the same branch labels).
    likelihoods : mapping of state label to mapping of signal label to probability
        ``P(signal | state)`` for every branch (state) of the node.  Each value is
        a number, expression text over the tree's parameters, or ``"rest"``
        (one per state).  Every state must list the same signals.
    cost : number or str, default 0
        What the test costs (an expression over the parameters allowed).
    name : str, default "test"
        A name, used for the decision to buy it.
    default : mapping of signal label to probability, optional
        The likelihoods of states not listed in ``likelihoods``.

    Examples
    --------
    >>> t = Test.binary("disease", "present", sensitivity="se", specificity="sp")
    >>> t.likelihoods["present"]
    {'positive': 'se', 'negative': 'rest'}
    """

    __test__ = False  # not a pytest test class

    node: Any
    likelihoods: Mapping[str, Mapping[str, Any]]
    cost: Any = 0
    name: str = "test"
    default: Mapping[str, Any] | None = None

    @classmethod
    def binary(
        cls,
        node: Any,
        positive_state: str | Sequence[str],
        *,
        sensitivity: Any,
        specificity: Any,
        cost: Any = 0,
        name: str = "test",
        signals: tuple[str, str] = ("positive", "negative"),
    ) -> Test:
        """Return a positive/negative test from its sensitivity and specificity.

        ``P(positive | state)`` is the sensitivity for the positive state(s), and
        ``P(negative | state)`` the specificity for every other state.
        """
        pos = [positive_state] if isinstance(positive_state, str) else list(positive_state)
        table: dict[str, dict[str, Any]] = {s: {signals[0]: sensitivity, signals[1]: model.REST} for s in pos}
        other = {signals[0]: model.REST, signals[1]: specificity}
        return cls(node, table, cost=cost, name=name, default=other)

    def likelihood_table(
        self, states: Sequence[str], parameters: Any = None
    ) -> dict[tuple[str, str], sympy.Expr]:
        """Return ``{(state, signal): P(signal | state)}`` as expressions, ``rest`` resolved.

        Raises
        ------
        ModelError
            If a state is missing or unknown, signals differ between states, a
            probability is not an expression over known parameters, or a state's
            probabilities do not sum to 1.
        """
        given = dict(self.likelihoods)
        default = self.default
        for s in states:
            if s not in given:
                if default is None:
                    raise ModelError(f"no likelihoods for state {s!r}", field=f"likelihoods.{s}")
                given[s] = default
        extra = sorted(set(given) - set(states))
        if extra:
            raise ModelError(
                f"state {extra[0]!r} is not a branch of the node (branches: {', '.join(states)})",
                field=f"likelihoods.{extra[0]}",
            )
        signals = list(given[states[0]])
        if len(signals) < 2:
            raise ModelError("a test needs at least two signals", field=f"likelihoods.{states[0]}")
        table: dict[tuple[str, str], sympy.Expr] = {}
        for s in states:
            row = given[s]
            if not isinstance(row, Mapping):
                raise ModelError("expected a mapping of signal to probability", field=f"likelihoods.{s}")
            if sorted(row) != sorted(signals):
                raise ModelError(
                    f"state {s!r} lists signals {sorted(row)}, others {sorted(signals)}",
                    field=f"likelihoods.{s}",
                )
            rest = [g for g, v in row.items() if isinstance(v, str) and v.strip() == model.REST]
            if len(rest) > 1:
                raise ModelError(
                    "more than one signal takes the 'rest' probability", field=f"likelihoods.{s}"
                )
            known = {}
            for g, v in row.items():
                if g in rest:
                    continue
                try:
                    known[g] = parse_expression(v, parameters) if isinstance(v, str) else as_expr(v)
                except ModelError as err:
                    raise err.located(field=f"likelihoods.{s}.{g}") from None
            for g in signals:
                table[(s, g)] = known[g] if g in known else 1 - sympy.Add(*known.values())
            total = sympy.Add(*(table[(s, g)] for g in signals))
            if not _same(total, sympy.Integer(1)):
                raise ProbabilityError(
                    f"likelihoods of state {s!r} sum to {total}, not 1 (give one signal 'rest')",
                    field=f"likelihoods.{s}",
                )
        return table

    def event(self, tree: model.DecisionTree) -> Any:
        """Return the test as an event of :mod:`evtree.voi`: node(s), signals and likelihoods."""
        events = resolve_events(tree, [self.node])
        ev = events[0]
        table = self.likelihood_table(ev.states, tree.parameters)
        signals = tuple(dict.fromkeys(g for (_s, g) in table))
        return dataclasses.replace(ev, name=ev.name, signals=signals, likelihood=table)


def _check_likelihood_values(tree: model.DecisionTree, test: Test, event: Any) -> None:
    point = {symbol(k): v for k, v in _exact_point(tree, None).items()}
    for (s, g), v in event.likelihood.items():
        here = v.xreplace(point)
        if not (here.is_number and 0 <= here <= 1):
            raise ProbabilityError(
                f"P({g!r} | {s!r}) is {here} at the default values, outside [0, 1]",
                field=f"likelihoods.{s}.{g}",
            )


def posteriors(
    tree: model.DecisionTree, test: Test, values: Mapping[str, Any] | None = None, *, method: str = "exact"
) -> Any:
    """Return P(signal) and P(state | signal) at the test's node, by Bayes' rule.

    Parameters
    ----------
    method : {"exact", "float", "symbolic"}, default "exact"
        ``"symbolic"`` gives expressions in the parameters.

    Returns
    -------
    pandas.DataFrame
        Columns ``signal``, ``p_signal``, ``state``, ``prior``, ``likelihood``,
        ``posterior``: one row per signal and state (for the first node of the test).
    """
    import pandas as pd

    event = test.event(tree)
    node = event.nodes[0]
    priors = dict(zip((c.label for c in node.children), _probabilities(node)))
    if method == "symbolic":
        subs = {symbol(k): sympy.sympify(v) for k, v in (values or {}).items()}
    else:
        subs = {symbol(k): v for k, v in _exact_point(tree, values).items()}
    rows = []
    for g in event.signals:
        p_signal = sympy.Add(*(priors[s] * event.likelihood[(s, g)] for s in event.states))
        for s in event.states:
            post = priors[s] * event.likelihood[(s, g)] / p_signal
            row = [g, p_signal, s, priors[s], event.likelihood[(s, g)], post]
            row = [r.xreplace(subs) if isinstance(r, sympy.Basic) else r for r in row]
            if method == "symbolic":
                row = [sympy.factor(r) if isinstance(r, sympy.Basic) and not r.is_number else r for r in row]
            elif method == "float":
                row = [float(r) if isinstance(r, sympy.Basic) else r for r in row]
            rows.append(row)
    return pd.DataFrame(rows, columns=["signal", "p_signal", "state", "prior", "likelihood", "posterior"])


def signal_tree(
    tree: model.DecisionTree, test: Test, *, values: Mapping[str, Any] | None = None
) -> model.DecisionTree:
    """Return the tree in which the test's result is known before the first decision it could inform.

    The state's probabilities below each signal are the posteriors, as
    expressions (see :func:`evtree.voi.informed_tree` for the construction and
    for ``values``).  The test's cost is not included; see :func:`with_test`.
    """
    event = test.event(tree)
    point = _exact_point(tree, values) if values is not None else None
    return _informed(tree, [event], point, f"{test.name} on")


def with_test(tree: model.DecisionTree, test: Test) -> model.DecisionTree:
    """Return the tree with a first decision: buy the test, paying its cost, or not.

    The new root is a decision named after the test with branches ``"no <name>"``
    (the original tree) and ``"<name>"`` (branch payoff minus the cost, then the
    tree of :func:`signal_tree`).  The value of the result is the best of the two.

    Examples
    --------
    >>> from evtree import Branch, Chance, Decision, DecisionTree, Terminal, evaluate
    >>> oil = Chance("oil", [Branch("oil", Terminal(700), probability="1/4"),
    ...                      Branch("dry", Terminal(-100), probability="rest")])
    >>> tree = DecisionTree(Decision("drill?", [Branch("drill", oil), Branch("sell", Terminal(90))]))
    >>> survey = Test("oil", {"oil": {"FSS": 0.6, "USS": 0.4}, "dry": {"FSS": 0.2, "USS": 0.8}},
    ...               cost=30, name="survey")
    >>> result = evaluate(with_test(tree, survey), method="exact")
    >>> result.value, result.policy["survey?"]
    (123, 'survey')
    """
    tested = signal_tree(tree, test)
    plain = _copy(tree.root, None)
    informed_root = tested.root
    cost = as_expr(test.cost) if test.cost is not None else sympy.Integer(0)
    informed_root._branch_payoff = _add_payoffs(-cost if cost != 0 else None, None)
    plain._branch_payoff = None
    root = _assemble(
        model.Decision, f"{test.name}?", [plain, informed_root], [f"no {test.name}", test.name], [None, None]
    )
    return _derived_tree(tree, root, f"option to {test.name}")


def evsi(
    tree: model.DecisionTree,
    test: Test,
    values: Mapping[str, Any] | None = None,
    *,
    method: str = "float",
    utility: Any = "tree",
) -> VOIResult:
    """Return the expected value of sample information of a test, and the most worth paying for it.

    Parameters
    ----------
    tree : DecisionTree
        The tree without the test.
    test : Test
        The test.
    values : mapping, optional
        Parameter values overriding the defaults.
    method : {"float", "exact", "symbolic"}, default "float"
        The arithmetic; symbolic gives the EVSI as an expression in the parameters.
    utility : "tree", None, mapping or Utility, default "tree"
        Under a non-linear utility the value is the difference of certainty
        equivalents and ``buying_price`` the price of indifference.

    Returns
    -------
    VOIResult
        ``measure="evsi"``; ``value`` is the EVSI (before the test's cost),
        ``buying_price`` the most worth paying, ``cost`` the test's cost and
        ``net_value`` the buying price less the cost.  ``tree`` is the tree with
        the test's result known.
    """
    event = test.event(tree)
    _check_likelihood_values(tree, test, event)
    point = _exact_point(tree, values) if method != "symbolic" else None
    changed = _informed(tree, [event], point, f"{test.name} on")
    return compare(
        "evsi", (event.name,), tree, changed, values, method=method, utility=utility, cost=test.cost or 0
    )


# ----------------------------------------------------------------------------- flip
def flip(tree: model.DecisionTree, node: str | model.Node, *, name: str | None = None) -> model.DecisionTree:
    """Exchange a chance node with the chance nodes right below it, by Bayes' rule.

    Every branch of the chance node ``A`` must lead to a chance node ``B_a`` with
    the same branch labels (in any order).  The result has one chance node
    ``B`` first, with ``P(b) = Σ_a P(a) P(b | a)``, and below each ``b`` a chance
    node ``A`` with ``P(a | b) = P(a) P(b | a) / P(b)``; the subtree below
    ``(a, b)`` is kept.  Probabilities stay expressions in the parameters, so
    formulas are not lost, and the value of the tree does not change.  Branch
    payoffs travel with their path: a payoff on ``b`` stays on ``b`` when it is
    the same for every ``a``, otherwise it moves to the ``a`` branches below it.

    Parameters
    ----------
    tree : DecisionTree
        The tree; it is not changed.
    node : str or Node
        The chance node ``A``.
    name : str, optional
        Name of the new first node ``B`` (default: the name of the first ``B_a``).
        The nodes ``A`` below it are named ``"<A> | <b>"``.

    Returns
    -------
    DecisionTree

    Raises
    ------
    ModelError
        If the node is not a chance node, or its branches do not all lead to
        chance nodes with the same labels.

    Examples
    --------
    >>> from evtree import Branch, Chance, DecisionTree, Terminal, evaluate
    >>> def sounding(p):
    ...     return Chance(None, [Branch("FSS", Terminal(1), probability=p),
    ...                          Branch("USS", Terminal(0), probability="rest")])
    >>> t = DecisionTree(Chance("oil", [Branch("oil", sounding("0.6"), probability="1/4"),
    ...                                 Branch("dry", sounding("0.2"), probability="rest")]))
    >>> flipped = flip(t, "oil", name="sounding")
    >>> [(c.label, c.probability) for c in flipped.root.children]
    [('FSS', 3/10), ('USS', 7/10)]
    >>> [c.probability for c in flipped.root.branch("USS").children]
    [1/7, 6/7]
    """
    top = tree.node(node) if isinstance(node, str) else node
    if not isinstance(top, model.Chance):
        raise ModelError(f"only a chance node can be flipped, not a {top.kind} node", node=top.path)
    below = list(top.children)
    for b in below:
        if not isinstance(b, model.Chance):
            raise ModelError(
                f"branch {b.label!r} leads to a {b.kind} node; every branch must lead to a chance node",
                node=top.path,
            )
    below_events = {getattr(b, "_event", None) for b in below}
    if len(below_events) > 1:
        shown = ", ".join(sorted(repr(e) for e in below_events if e is not None))
        raise ModelError(
            f"the chance nodes below are copies of different events ({shown}, or none); "
            "only copies of one event can be flipped",
            node=top.path,
        )
    labels = [c.label for c in below[0].children]
    for b in below[1:]:
        if sorted(c.label for c in b.children) != sorted(labels):
            raise ModelError(
                f"the chance nodes below differ in their branches ({labels} against "
                f"{[c.label for c in b.children]}); only identical events can be flipped",
                node=b.path,
            )
    p_a = _probabilities(top)
    cond = [dict(zip((c.label for c in b.children), _probabilities(b))) for b in below]
    p_b = {lb: sympy.Add(*(pa * cd[lb] for pa, cd in zip(p_a, cond))) for lb in labels}
    new_kids = []
    for lb in labels:
        payoffs = [b.branch(lb).branch_payoff for b in below]
        shared = all(_same_payoff(payoffs[0], p) for p in payoffs[1:])
        inner = []
        for a, pay in zip(below, payoffs):
            b = a
            sub = _copy(b.branch(lb), None)
            sub._branch_payoff = _add_payoffs(a.branch_payoff, None if shared else pay)
            inner.append(sub)
        if p_b[lb].is_number and p_b[lb] == 0:  # never happens: any probabilities will do
            posts = list(p_a)
        else:
            posts = [_tidy(pa * cd[lb] / p_b[lb]) for pa, cd in zip(p_a, cond)]
        a_node = _assemble(
            model.Chance,
            f"{top.name} | {lb}" if top.name else None,
            inner,
            [a.label for a in below],
            posts,
        )
        a_node._branch_payoff = payoffs[0] if shared else None
        if top.event is not None:  # the copies of A below keep A's event
            a_node.event = top.event
        new_kids.append(a_node)
    first = name if name is not None else below[0].name
    new_top = _assemble(model.Chance, first, new_kids, labels, [_tidy(p_b[lb]) for lb in labels])
    new_top._branch_payoff = top.branch_payoff
    (below_event,) = below_events
    if below_event is not None:
        new_top.event = below_event
    from .voi import _rebuild

    return _derived_tree(tree, _rebuild(tree, {id(top): lambda _n: new_top}), f"{top.key} flipped")


def _same_payoff(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return _same(as_expr(a), as_expr(b))


def _tidy(expr: sympy.Expr) -> sympy.Expr:
    if expr.is_number:
        return sympy.nsimplify(expr) if isinstance(expr, sympy.Float) else expr
    return sympy.factor(sympy.cancel(expr))

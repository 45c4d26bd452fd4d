"""Cheap certificates: ``D = c0 + sum y_k g_k`` found by linear programming, verified exactly."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy

from ..core import model
from ..core.expressions import symbol
from .exact import _is_maxmin, _top_atoms
from .space import Constraint


# ===================================================================== certificates
@dataclasses.dataclass(frozen=True)
class _Cert:
    c0: Any
    terms: tuple[tuple[Any, tuple[int, ...]], ...]  # (multiplier, constraint indices)
    labels: tuple[str, ...]
    exprs: tuple[sympy.Expr, ...] = ()

    def identity(self) -> tuple[Any, tuple[tuple[Any, tuple[sympy.Expr, ...]], ...]]:
        return self.c0, tuple((y, tuple(self.exprs[i] for i in idx)) for y, idx in self.terms)

    def lines(self, difference: str = "D") -> list[str]:
        parts = [f"{difference} = {self.c0}"]
        for y, idx in self.terms:
            factors = " * ".join(f"[{self.labels[i]}]" for i in idx)
            parts.append(f"  + {y} * {factors}")
        return parts


def _handelman(
    D: sympy.Expr, cons: Sequence[Constraint], strict: bool, *, degree: int = 2
) -> tuple[_Cert, Any] | None:
    """Find ``D = c0 + sum y_k g_k`` with y >= 0, c0 >= 0 exactly, or return None.

    ``g_k`` are the constraints, the facts ``Max(..) - arg >= 0`` for every Max
    appearing, and (for degree 2) products of two of them.  Returns the
    certificate and ``c0``, the certified lower bound on ``D``.
    """
    import numpy as np
    from scipy.optimize import linprog

    gs: list[tuple[sympy.Expr, str]] = [(c.expr, _con_label(c)) for c in cons]
    seen_atoms: set = set()
    frontier = set(_top_atoms(D))
    for c in cons:
        frontier |= _top_atoms(c.expr)
    queue = sorted(frontier, key=sympy.default_sort_key)
    while queue and len(gs) < 120:  # facts about every Max/Min, nested ones too
        atom = queue.pop(0)
        if not _is_maxmin(atom) or atom in seen_atoms:
            continue
        seen_atoms.add(atom)
        for a in atom.args:
            g = atom - a if isinstance(atom, sympy.Max) else a - atom
            gs.append((g, f"{atom} >= {a}" if isinstance(atom, sympy.Max) else f"{a} >= {atom}"))
            queue.extend(sorted(_top_atoms(a), key=sympy.default_sort_key))
    if not gs:
        return None
    syms = set(D.free_symbols)
    atoms = set(_top_atoms(D))
    for g, _ in gs:
        syms |= g.free_symbols
        atoms |= _top_atoms(g)
    gens = sorted(syms, key=str) + sorted(atoms, key=sympy.default_sort_key)
    try:
        pd_ = sympy.Poly(D, *gens, domain="QQ")
        polys = [sympy.Poly(g, *gens, domain="QQ") for g, _ in gs]
    except (sympy.PolynomialError, sympy.CoercionFailed, ValueError, TypeError):
        return None
    cands: list[tuple[sympy.Poly, tuple[int, ...]]] = [(p, (i,)) for i, p in enumerate(polys)]
    if degree >= 2 and pd_.total_degree() >= 2 and len(polys) <= 60:
        for i, j in itertools.combinations_with_replacement(range(len(polys)), 2):
            cands.append((polys[i] * polys[j], (i, j)))
    zero = (0,) * len(gens)
    monos = set(pd_.as_dict())
    cols = []
    for p, _ in cands:
        d = p.as_dict()
        monos |= set(d)
        cols.append(d)
    monos.discard(zero)
    rows = sorted(monos)
    target = pd_.as_dict()
    n = len(cands)
    # variables: y_1..y_n >= 0, c0; equalities on every non-constant monomial and on the constant
    a_eq = np.zeros((len(rows) + 1, n + 1))
    b_eq = np.zeros(len(rows) + 1)
    for r, m in enumerate(rows):
        for k, d in enumerate(cols):
            if m in d:
                a_eq[r, k] = float(d[m])
        b_eq[r] = float(target.get(m, 0))
    for k, d in enumerate(cols):
        a_eq[-1, k] = float(d.get(zero, 0))
    a_eq[-1, n] = 1.0
    b_eq[-1] = float(target.get(zero, 0))
    # maximise c0; among equal c0 prefer few, simple terms (products cost more than constraints)
    cost = np.empty(n + 1)
    for k, (_, idx) in enumerate(cands):
        cost[k] = 1e-7 * len(idx) * (1.0 + sum(abs(float(v)) for v in cols[k].values()))
    cost[n] = -1.0
    bounds = [(0, None)] * n + [(0, 1e9)]
    try:
        res = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    except ValueError:  # pragma: no cover - malformed LP
        return None
    if res.status != 0:
        return None
    y = res.x[:n]
    support = [k for k in range(n) if y[k] > 1e-10]
    labels = tuple(label for _, label in gs)
    for attempt in ("solve", 10**6, 10**9, 10**12):
        coeffs = _exact_multipliers(attempt, support, y, cols, rows, target)
        if coeffs is None:
            continue
        total = sympy.Poly(0, *gens, domain="QQ")
        for k, yk in coeffs.items():
            total += cands[k][0] * sympy.Rational(yk.numerator, yk.denominator)
        rest = pd_ - total
        if rest.total_degree() > 0 and not rest.is_zero:
            continue
        c0 = sympy.Rational(rest.as_dict().get(zero, 0)) if not rest.is_zero else sympy.Integer(0)
        if c0 < 0 or (strict and c0 <= 0):
            continue
        terms = tuple(
            (sympy.Rational(v.numerator, v.denominator), cands[k][1]) for k, v in sorted(coeffs.items()) if v
        )
        return _Cert(c0, terms, labels, tuple(g for g, _ in gs)), c0
    return None


def _exact_multipliers(attempt: Any, support: list[int], y: Any, cols: list, rows: list, target: dict) -> Any:
    if attempt == "solve":
        if not support:
            return {}
        mat = sympy.Matrix([[sympy.Rational(cols[k].get(m, 0)) for k in support] for m in rows])
        rhs = sympy.Matrix([sympy.Rational(target.get(m, 0)) for m in rows])
        try:
            sol, params = mat.gauss_jordan_solve(rhs)
        except ValueError:
            return None
        if params.shape[0]:
            sol = sol.xreplace({t: 0 for t in params})
        out = {}
        for k, v in zip(support, sol):
            if not v.is_Rational or v < 0:
                return None
            out[k] = Fraction(int(v.p), int(v.q))
        return out
    return {k: Fraction(float(y[k])).limit_denominator(attempt) for k in support}


def _con_label(c: Constraint) -> str:
    return f"{c.expr} {'>' if c.strict else '>='} 0 ({c.origin})" if c.origin else str(c)


def recheck_identity(D: sympy.Expr, identity: Any, cons: Sequence[Constraint]) -> bool:
    """Re-check a certificate independently of its search: ``D == c0 + sum y * prod(factors)``.

    Expands the identity with ``sympy.expand`` (not the polynomial arithmetic the
    search used) and checks ``c0 >= 0``, every ``y > 0``, and that every factor
    is a constraint of the space or a fact ``Max(...) - arg`` / ``arg - Min(...)``.
    """
    c0, terms = identity
    if not (sympy.sympify(c0).is_Rational and c0 >= 0):
        return False
    allowed = {sympy.expand(c.expr) for c in cons}
    for y, factors in terms:
        if not (sympy.sympify(y).is_Rational and y > 0):
            return False
        for g in factors:
            g = sympy.expand(g)
            if g in allowed:
                continue
            facts = [
                sympy.expand(m - a if isinstance(m, sympy.Max) else a - m)
                for m in g.atoms(sympy.Max, sympy.Min)
                for a in m.args
            ]
            if not any(sympy.expand(g - f) == 0 for f in facts):
                return False
    total = c0 + sum(y * sympy.Mul(*factors) for y, factors in terms)
    return sympy.expand(D - total) == 0


# ===================================================================== bounds over the tree
def tree_bounds(
    tree: Any, node_ref: str | None, policy: Mapping[str, str], space: Any
) -> tuple[Any, list[str]] | None:
    """Bound a node's value over the box of the space, whatever the probabilities.

    Bottom-up interval arithmetic (sympy ``AccumBounds``, exact): a terminal's
    payoff over the parameters' bounds; a chance node's value lies between its
    branches' lowest and highest (probabilities on the simplex); a decision's
    between the best lows and the best highs (or the chosen branch's when the
    policy fixes it); branch payoffs add.  Sound for the space, which lies
    inside the box and the simplex.  Returns the interval of the node's value
    (``AccumBounds`` or a number) and one line per node, or None when the tree
    has a utility or a policy names a decision this does not resolve.
    """
    from sympy.calculus.accumulationbounds import AccumBounds

    from ..core.expressions import as_expr

    if tree.utility is not None:
        return None
    subs: dict[Any, Any] = {}
    for name in tree.parameters:
        if name in space.fixed:
            subs[symbol(name)] = space.fixed[name]
            continue
        lo, hi = space.bounds.get(name, (None, None))
        lo = sympy.S.NegativeInfinity if lo is None else lo
        hi = sympy.S.Infinity if hi is None else hi
        subs[symbol(name)] = AccumBounds(lo, hi) if lo != hi else lo

    def interval(q: Any) -> Any:
        if q is None:
            return sympy.Integer(0)
        return sympy.sympify(as_expr(q)).xreplace(subs)

    def lo_hi(v: Any) -> tuple[Any, Any]:
        return (v.min, v.max) if isinstance(v, AccumBounds) else (v, v)

    lines: list[str] = []
    maximise = tree.objective == "max"

    def fixed_label(node: Any) -> str | None:
        for key in (node.key, node.name, node.path):
            if key is not None and key in policy:
                return policy[key]
        return None

    def value(node: Any) -> Any:
        kids = list(node.children)
        if not kids:
            out = interval(node.payoff)
        else:
            parts = [interval(c.branch_payoff) + value(c) for c in kids]
            if isinstance(node, model.Chance):
                los, his = zip(*(lo_hi(v) for v in parts))
                lo, hi = min(los), max(his)
                out = AccumBounds(lo, hi) if lo != hi else lo
            else:
                label = fixed_label(node)
                if label is not None:
                    chosen = [v for c, v in zip(kids, parts) if c.label == label]
                    if len(chosen) != 1:
                        raise KeyError(label)
                    out = chosen[0]
                else:
                    los, his = zip(*(lo_hi(v) for v in parts))
                    pick = max if maximise else min
                    lo, hi = pick(los), pick(his)
                    out = AccumBounds(lo, hi) if lo != hi else lo
        lines.append(f"{node.path or 'root'}: value in {out}")
        return out

    target = tree.root if node_ref is None else tree.node(node_ref)
    try:
        inner = value(target)
    except (KeyError, TypeError, ValueError):
        return None
    path_payoff = sympy.Integer(0)
    n = target
    while n.parent is not None:
        path_payoff = path_payoff + interval(n.branch_payoff)
        n = n.parent
    # decisions fixed above the node do not change its value given that it is reached
    return inner + path_payoff, lines

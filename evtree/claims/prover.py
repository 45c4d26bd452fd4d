"""The decision procedure: certificates, exact corners, case splits, vertices, global search."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy

from ..core.errors import ModelError
from ..core.expressions import symbol
from .certificates import _handelman
from .exact import _compile_exact, _fraction, _fraction_or_sym, _is_maxmin, _prepare, _top_atoms
from .space import Constraint, ParameterSpace
from .spec import PROVEN, REFUTED, UNDECIDED

#: At most this many regions are examined in a case split.
MAX_REGIONS = 256
#: Vertex enumeration gives up above this many vertex combinations.
MAX_VERTEX_POINTS = 50_000
#: Box corners tried exactly when looking for a counterexample.
MAX_CORNERS = 1024


# ===================================================================== vertex enumeration
def _linear_form(expr: sympy.Expr, names: list[str]) -> tuple[dict[str, Fraction], Fraction] | None:
    try:
        p = sympy.Poly(expr, *[symbol(n) for n in names], domain="QQ")
    except (sympy.PolynomialError, sympy.CoercionFailed, ValueError, TypeError):
        return None
    if p.total_degree() > 1:
        return None
    coef: dict[str, Fraction] = {}
    const = Fraction(0)
    for mono, c in p.as_dict().items():
        c = _fraction(c)
        if not any(mono):
            const = c
        else:
            coef[names[mono.index(1)]] = c
    return coef, const


def _solve_exact(a: list[list[Fraction]], b: list[Fraction]) -> list[Fraction] | None:
    n = len(b)
    m = [row[:] + [rhs] for row, rhs in zip(a, b)]
    for col in range(n):
        piv = next((r for r in range(col, n) if m[r][col] != 0), None)
        if piv is None:
            return None
        m[col], m[piv] = m[piv], m[col]
        pv = m[col][col]
        m[col] = [v / pv for v in m[col]]
        for r in range(n):
            if r != col and m[r][col] != 0:
                f = m[r][col]
                m[r] = [v - f * w for v, w in zip(m[r], m[col])]
    return [m[r][n] for r in range(n)]


@dataclasses.dataclass
class _VertexOutcome:
    minimum: Any  # None when the region is empty
    point: dict[str, Fraction] | None
    count: int
    blocks: list[list[str]]


def _vertices(D: sympy.Expr, cons: Sequence[Constraint], names: list[str]) -> _VertexOutcome | None:
    """Exact minimum of D over the region, when D is affine in each block of coupled parameters."""
    if _top_atoms(D) or any(_top_atoms(c.expr) for c in cons):
        return None
    lows: dict[str, Fraction | None] = dict.fromkeys(names)
    highs: dict[str, Fraction | None] = dict.fromkeys(names)
    multi: list[tuple[dict[str, Fraction], Fraction]] = []
    for c in cons:
        form = _linear_form(c.expr, names)
        if form is None:
            return None
        coef, const = form
        coef = {k: v for k, v in coef.items() if v != 0}
        if not coef:
            if const < 0 or (c.strict and const <= 0):
                return _VertexOutcome(None, None, 0, [])
            continue
        if len(coef) == 1:
            ((k, a),) = coef.items()
            bound = -const / a
            if a > 0:
                lows[k] = bound if lows[k] is None else max(lows[k], bound)
            else:
                highs[k] = bound if highs[k] is None else min(highs[k], bound)
        else:
            multi.append((coef, const))
    if any(lows[n] is None or highs[n] is None for n in names):
        return None
    if any(lows[n] > highs[n] for n in names):
        return _VertexOutcome(None, None, 0, [])
    # blocks: parameters coupled by a constraint
    parent = {n: n for n in names}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for coef, _ in multi:
        ks = list(coef)
        for k in ks[1:]:
            parent[find(k)] = find(ks[0])
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(find(n), []).append(n)
    blocks = list(groups.values())
    syms = {n: symbol(n) for n in names}
    for block in blocks:
        try:
            if sympy.Poly(D, *[syms[n] for n in block]).total_degree() > 1:
                return None
        except sympy.PolynomialError:
            return None
    block_vertices: list[list[dict[str, Fraction]]] = []
    for block in blocks:
        rows = [
            ({k: v for k, v in coef.items()}, const)
            for coef, const in multi
            if find(next(iter(coef))) == find(block[0])
        ]
        for k in block:
            rows.append(({k: Fraction(1)}, -lows[k]))
            rows.append(({k: Fraction(-1)}, highs[k]))
        verts = _block_vertices(block, rows)
        if verts is None:
            return None
        if not verts:
            return _VertexOutcome(None, None, 0, blocks)
        block_vertices.append(verts)
    total = math.prod(len(v) for v in block_vertices)
    if total > MAX_VERTEX_POINTS:
        return None
    fn = _compile_exact(D)
    best, best_pt = None, None
    for combo in itertools.product(*block_vertices):
        pt: dict[str, Fraction] = {}
        for part in combo:
            pt.update(part)
        v = fn(pt)
        if best is None or v < best:
            best, best_pt = v, pt
    return _VertexOutcome(best, best_pt, total, blocks)


def _lp_vertex(
    D: sympy.Expr, cons: Sequence[Constraint], names: list[str]
) -> tuple[dict[str, Fraction], Fraction] | None:
    """Minimise a linear D over linear constraints; return the optimal vertex, exactly, and D there.

    The vertex is found in floating point (HiGHS dual simplex), then recomputed
    exactly from its active constraints and checked exactly against every
    constraint; None when any step fails.
    """
    import numpy as np
    from scipy.optimize import linprog

    form = _linear_form(D, names)
    rows = [_linear_form(c.expr, names) for c in cons]
    if form is None or any(r is None for r in rows) or not names:
        return None
    coef, _ = form
    c = np.array([float(coef.get(n, 0)) for n in names])
    a_ub = np.array([[-float(r[0].get(n, 0)) for n in names] for r in rows]) if rows else None
    b_ub = np.array([float(r[1]) for r in rows]) if rows else None
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * len(names), method="highs-ds")
    if res.status != 0:
        return None
    x = res.x
    exact_rows = [([r[0].get(n, Fraction(0)) for n in names], r[1]) for r in rows]
    active = [
        (row, const)
        for row, const in exact_rows
        if abs(sum(float(v) * xi for v, xi in zip(row, x)) + float(const)) <= 1e-7 * (1 + abs(float(const)))
    ]
    chosen: list[tuple[list[Fraction], Fraction]] = []
    for row, const in active:  # greedily keep linearly independent active rows
        trial = [r for r, _ in chosen] + [row]
        if _rank(trial) == len(trial):
            chosen.append((row, const))
        if len(chosen) == len(names):
            break
    if len(chosen) < len(names):
        return None
    sol = _solve_exact([r for r, _ in chosen], [-k for _, k in chosen])
    if sol is None:
        return None
    point = dict(zip(names, sol))
    for row, const in exact_rows:
        if sum(v * point[n] for v, n in zip(row, names)) + const < 0:
            return None
    return point, _compile_exact(D)(point)


def _rank(rows: list[list[Fraction]]) -> int:
    m = [r[:] for r in rows]
    rank = 0
    ncols = len(m[0]) if m else 0
    for col in range(ncols):
        piv = next((i for i in range(rank, len(m)) if m[i][col] != 0), None)
        if piv is None:
            continue
        m[rank], m[piv] = m[piv], m[rank]
        for i in range(len(m)):
            if i != rank and m[i][col] != 0:
                f = m[i][col] / m[rank][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[rank])]
        rank += 1
    return rank


def _block_vertices(block: list[str], rows: list[tuple[dict[str, Fraction], Fraction]]) -> Any:
    d = len(block)
    if math.comb(len(rows), d) > 20_000:
        return None
    mats = [([coef.get(k, Fraction(0)) for k in block], const) for coef, const in rows]
    found: dict[tuple, dict[str, Fraction]] = {}
    for combo in itertools.combinations(range(len(mats)), d):
        a = [mats[i][0] for i in combo]
        b = [-mats[i][1] for i in combo]
        x = _solve_exact(a, b)
        if x is None:
            continue
        if all(sum(c * v for c, v in zip(row, x)) + const >= 0 for row, const in mats):
            found[tuple(x)] = dict(zip(block, x))
    return list(found.values())


# ===================================================================== the decision procedure
@dataclasses.dataclass
class _Outcome:
    verdict: str
    method: str
    certificate: list[str] = dataclasses.field(default_factory=list)
    lower_bound: Any = None
    point: dict[str, Any] | None = None  # free parameter -> exact value
    value: Any = None  # D at the point
    worst: float | None = None
    worst_point: dict[str, float] | None = None
    regions: int = 1
    identity: Any = None


@dataclasses.dataclass
class _Leaf:
    status: str  # proven / counter / open
    method: str
    lines: list[str]
    bound: Any = None
    point: dict[str, Any] | None = None
    value: Any = None
    methods: set[str] = dataclasses.field(default_factory=set)


class _Prover:
    def __init__(
        self, D: sympy.Expr, space: ParameterSpace, strict: bool, *, search: bool, seed: int
    ) -> None:
        self.space = space
        self.strict = strict
        self.search = search
        self.seed = seed
        subs = {symbol(k): v for k, v in space.fixed.items()}
        self.D = _prepare(sympy.sympify(D).xreplace(subs))
        cons = space.all_constraints()
        # keep the parameters connected to D through the constraints
        names = {s.name for s in self.D.free_symbols}
        changed = True
        while changed:
            changed = False
            for c in cons:
                cn = {s.name for s in c.expr.free_symbols}
                if cn & names and not cn <= names:
                    names |= cn
                    changed = True
        self.names = sorted(names)
        kept = [c for c in cons if {s.name for s in c.expr.free_symbols} & names]
        self.cons, _ = _simplify_constraints(kept)
        self.leaves = 0
        self.defaults = {symbol(n): space.tree.parameters[n].exact for n in self.names}

    def feasible(self, point: Mapping[str, Any]) -> bool:
        """Whether an exact point (name -> Fraction) satisfies every constraint."""
        if not hasattr(self, "_checks"):
            self._checks = [(_compile_exact(c.expr), c.strict) for c in self.cons]
        for fn, strict in self._checks:
            v = fn(point)
            if (v <= 0) if strict else (v < 0):
                return False
        return True

    def complete(self, point: Mapping[str, Any]) -> dict[str, Any] | None:
        """Fill missing parameters with defaults; the point if it is feasible and fails, else None."""
        full = {
            n: point[n] if n in point else _fraction_or_sym(self.space.tree.parameters[n].exact)
            for n in self.names
        }
        if not self.feasible(full) or not self.fails(_compile_exact(self.D)(full)):
            return None
        return full

    def fails(self, v: Any) -> bool:
        return bool(v <= 0) if self.strict else bool(v < 0)

    def check_nonempty(self) -> None:
        """Raise ModelError when the constraints leave no parameter values (exact certificate)."""
        defaults = {n: _fraction_or_sym(self.space.tree.parameters[n].exact) for n in self.names}
        if self.feasible(defaults):
            return
        loose = [Constraint(c.expr, False, c.origin) for c in self.cons]
        found = _handelman(sympy.Integer(-1), loose, False, degree=1)
        empty = found is not None
        if not empty:
            out = _vertices(sympy.Integer(0), loose, self.names)
            empty = out is not None and out.minimum is None
        if empty:
            raise ModelError(
                "the assumptions leave no parameter values: "
                + "; ".join(f"{c}" for c in self.cons if c.origin.startswith("assumption"))
            )

    def run(self) -> _Outcome:
        self.check_nonempty()
        D = self.D
        if D.is_number:
            ok = not self.fails(D)
            if ok:
                return _Outcome(PROVEN, "constant", [f"the difference is the constant {D}"], lower_bound=D)
            return _Outcome(REFUTED, "constant", [f"the difference is the constant {D}"], point={}, value=D)
        found = _handelman(D, self.cons, self.strict)
        if found is not None:
            cert, c0 = found
            return _Outcome(PROVEN, "certificate", cert.lines(), lower_bound=c0, identity=cert.identity())
        quick = self.corners()
        if quick is not None:
            return quick
        leaf = self.split(D, list(self.cons), [], tried=True)
        if leaf.status == "proven":
            method = leaf.method
            if leaf.methods:
                method = f"case split ({self.leaves} regions): " + ", ".join(sorted(leaf.methods))
            return _Outcome(PROVEN, method, leaf.lines, lower_bound=leaf.bound, regions=max(1, self.leaves))
        if leaf.status == "counter":
            return _Outcome(
                REFUTED,
                leaf.method,
                leaf.lines,
                point=leaf.point,
                value=leaf.value,
                regions=max(1, self.leaves),
            )
        return self.numeric(leaf.lines)

    # -- quick counterexamples at exact corners of the box ----------------------------------
    def corners(self) -> _Outcome | None:
        space = self.space
        names = self.names
        choices = []
        for n in names:
            lo, hi = space.bounds.get(n, (None, None))
            opts = [v for v in (lo, hi) if v is not None]
            default = space.tree.parameters[n].exact
            choices.append(opts or [default])
        count = math.prod(len(c) for c in choices)
        import random

        rng = random.Random(self.seed)
        if count <= MAX_CORNERS:
            points = list(itertools.product(*choices))
        else:
            points = [tuple(rng.choice(c) for c in choices) for _ in range(MAX_CORNERS)]
        points.insert(0, tuple(space.tree.parameters[n].exact for n in names))
        fn = _compile_exact(self.D)
        best = None
        for values in points:
            pt = {n: _fraction_or_sym(v) for n, v in zip(names, values)}
            if not self.feasible(pt):
                continue
            v = fn(pt)
            if self.fails(v) and (best is None or v < best[0]):
                best = (v, pt)
        if best is None:
            return None
        v, pt = best
        lines = [f"the difference is {v} at this corner of the parameter box (exact)"]
        return _Outcome(REFUTED, "exact corner counterexample", lines, point=pt, value=v)

    # -- case split -----------------------------------------------------------------------
    def split(self, D: sympy.Expr, cons: list[Constraint], path: list[str], *, tried: bool = False) -> _Leaf:
        if D.is_number:
            self.leaves += 1
            if self.fails(D):
                return _Leaf("open", "constant", [f"{_region_text(path)}: the difference is {D}"])
            return _Leaf("proven", "constant", [f"{_region_text(path)}: the difference is {D}"], bound=D)
        cons, empty = _simplify_constraints(cons)
        if empty:
            self.leaves += 1
            return _Leaf("proven", "empty", [f"{_region_text(path)}: no parameter values (empty region)"])
        if not tried:
            found = _handelman(D, cons, self.strict)
            if found is not None:
                self.leaves += 1
                cert, c0 = found
                lines = [f"{_region_text(path)}: certificate"] + ["    " + s for s in cert.lines()]
                return _Leaf("proven", "certificate", lines, bound=c0)
        atoms = [a for a in _top_atoms(D) if _is_maxmin(a)]
        if not atoms:
            for c in cons:
                atoms += [a for a in _top_atoms(c.expr) if _is_maxmin(a)]
        if not atoms:
            self.leaves += 1
            names = sorted(
                {s.name for s in D.free_symbols} | {s.name for c in cons for s in c.expr.free_symbols}
            )
            out = _vertices(D, cons, names)
            if out is None:
                found = _lp_vertex(D, cons, names)
                if found is not None and self.fails(found[1]):
                    point = self.complete(found[0])
                    if point is not None:
                        text = f"{_region_text(path)}: linear programming vertex {_point_text(point)}"
                        return _Leaf(
                            "counter", "linear programming vertex", [text], point=point, value=found[1]
                        )
                return _Leaf("open", "none", [f"{_region_text(path)}: no method applies"])
            if out.minimum is None:
                return _Leaf("proven", "empty", [f"{_region_text(path)}: no parameter values (empty region)"])
            blocks = "; ".join("{" + ", ".join(b) + "}" for b in out.blocks)
            text = (
                f"{_region_text(path)}: affine in each block {blocks}; minimum {out.minimum} "
                f"over {out.count} vertex combinations, at {_point_text(out.point)}"
            )
            if self.fails(out.minimum):
                point = self.complete(out.point or {})
                if point is not None:
                    return _Leaf("counter", "vertices", [text], point=point, value=out.minimum)
                return _Leaf("open", "none", [text + " (on a strict boundary: not a counterexample)"])
            return _Leaf("proven", "vertices", [text], bound=sympy.Rational(out.minimum))
        if self.leaves >= MAX_REGIONS:
            return _Leaf("open", "none", [f"more than {MAX_REGIONS} regions; case split stopped"])
        atom = _choose_atom(D, atoms, self.defaults)
        lines: list[str] = []
        methods: set[str] = set()
        bound = None
        status = "proven"
        for arg in atom.args:
            others = [b for b in atom.args if b != arg]
            extra = [
                Constraint(sympy.expand(arg - b if isinstance(atom, sympy.Max) else b - arg), False, "case")
                for b in others
            ]
            new_cons = [
                Constraint(sympy.expand(c.expr.xreplace({atom: arg})), c.strict, c.origin) for c in cons
            ]
            sub = self.split(
                sympy.expand(D.xreplace({atom: arg})), new_cons + extra, path + [f"{atom} = {arg}"]
            )
            if sub.status == "counter":
                return sub
            lines += sub.lines
            if sub.status == "open":
                status = "open"
            else:
                methods |= sub.methods or {sub.method}
                if sub.bound is not None:
                    bound = sub.bound if bound is None else sympy.Min(bound, sub.bound)
        if status == "open":
            return _Leaf("open", "none", lines)
        return _Leaf("proven", "case split", lines, bound=bound, methods=methods)

    # -- numerical evidence ---------------------------------------------------------------
    def numeric(self, lines: list[str]) -> _Outcome:
        if not self.search:
            return _Outcome(UNDECIDED, "none", lines + ["no global search (search=False)"])
        import numpy as np
        from scipy.optimize import differential_evolution

        names = self.names
        syms = [symbol(n) for n in names]
        f = sympy.lambdify(syms, self.D, "numpy")
        gs = [sympy.lambdify(syms, c.expr, "numpy") for c in self.cons]
        bounds = []
        for n in names:
            lo, hi = self.space.bounds.get(n, (None, None))
            default = float(self.space.tree.parameters[n].exact)
            span = 10 * (abs(default) + 1)
            bounds.append(
                (
                    float(lo) if lo is not None else default - span,
                    float(hi) if hi is not None else default + span,
                )
            )

        def objective(x: Any) -> float:
            with np.errstate(all="ignore"):
                v = float(f(*x))
                bad = sum(max(0.0, -float(g(*x))) for g in gs)
            if not math.isfinite(v):
                return 1e12
            return v + 1e6 * bad

        res = differential_evolution(objective, bounds, seed=self.seed, maxiter=150, tol=1e-10, polish=True)
        x = res.x
        worst_point = {n: float(v) for n, v in zip(names, x)}
        worst = float(f(*x))
        for denom in (10**3, 10**6, 10**9):
            pt = {}
            for n, v, (lo, hi) in zip(names, x, bounds):
                if abs(v - lo) < 1e-7 * (1 + abs(lo)):
                    q = Fraction(lo).limit_denominator(10**12)
                elif abs(v - hi) < 1e-7 * (1 + abs(hi)):
                    q = Fraction(hi).limit_denominator(10**12)
                else:
                    q = Fraction(float(v)).limit_denominator(denom)
                pt[n] = q
            if not self.feasible(pt):
                continue
            val = _compile_exact(self.D)(pt)
            if self.fails(val):
                text = f"differential evolution found {worst:.6g}; exact value at the rounded point {val}"
                return _Outcome(
                    REFUTED, "global optimisation + exact check", lines + [text], point=pt, value=val
                )
        text = f"no proof; differential evolution's worst case {worst:.6g} at {worst_point}"
        return _Outcome(
            UNDECIDED,
            "differential evolution (evidence only)",
            lines + [text],
            worst=worst,
            worst_point=worst_point,
        )


def _simplify_constraints(cons: list[Constraint]) -> tuple[list[Constraint], bool]:
    out: list[Constraint] = []
    seen: dict[sympy.Expr, int] = {}
    for c in cons:
        e = c.expr
        if e.is_number:
            if (e <= 0) if c.strict else (e < 0):
                return [], True
            continue
        if e in seen:
            if c.strict and not out[seen[e]].strict:
                out[seen[e]] = c
            continue
        seen[e] = len(out)
        out.append(c)
    return out, False


def _choose_atom(D: sympy.Expr, atoms: list[sympy.Expr], at: Mapping[sympy.Symbol, Any]) -> sympy.Expr:
    """Pick the Max/Min to split on: one D decreases in (its coefficient negative) first.

    A Max with a non-negative coefficient is bounded below by each argument
    (a fact the certificates use), so it rarely needs a split; the sign of a
    symbolic coefficient is judged at the point ``at`` (the defaults), which
    only orders the work.
    """
    t = sympy.Dummy("t")

    def rank(a: sympy.Expr) -> tuple[int, int, int]:
        coef = sympy.expand(D.xreplace({a: t})).diff(t)
        if not coef.is_number:
            coef = coef.xreplace(at)
        if coef.is_number:
            pr = 0 if coef < 0 else 1 if coef == 0 else 2
            if isinstance(a, sympy.Min):
                pr = 2 - pr if pr != 1 else 1
        else:
            pr = 1
        return (pr, len(a.args), -sympy.count_ops(a))

    return min(atoms, key=rank)


def _region_text(path: list[str]) -> str:
    return "region " + (" and ".join(path) if path else "(whole space)")


def _point_text(point: Mapping[str, Any] | None) -> str:
    if not point:
        return "{}"
    return "{" + ", ".join(f"{k}={v}" for k, v in point.items()) + "}"

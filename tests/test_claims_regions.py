"""Exact regions (issue 12): algebraic endpoints in one parameter, exact boundary curves in two.

Every expected set is worked out by hand: the roots of x^2 - 2 are +-sqrt(2); x^3 - 3x + 1 has
three real roots near -1.8794, 0.3473 and 1.5321 (2 cos(2 pi k / 9 ...)), checked here against the
polynomial's sign at exact rational points on either side.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from evtree import Branch, Decision, DecisionTree, Parameter, Terminal, symbol
from evtree.claims import holds_where


def one_option(payoff: str, low, high) -> DecisionTree:
    return DecisionTree(
        Decision("d", [Branch("a", Terminal(payoff))]), parameters=[Parameter("x", 0, low=low, high=high)]
    )


def test_quadratic_endpoints_are_closed_forms():
    tree = one_option("x**2 - 2", -3, 3)
    r = holds_where(tree, "EV() >= 0", "x")
    s2 = sympy.sqrt(2)
    assert r.holds == sympy.Union(sympy.Interval(-3, -s2), sympy.Interval(s2, 3))
    r = holds_where(tree, "EV() > 0", "x")
    assert r.holds == sympy.Union(sympy.Interval.Ropen(-3, -s2), sympy.Interval.Lopen(s2, 3))
    assert "cell decomposition" in r.method


def test_cubic_endpoints_are_exact_algebraic_numbers():
    tree = one_option("x**3 - 3*x + 1", -2, 2)
    r = holds_where(tree, "EV() >= 0", "x")
    x = symbol("x")
    f = x**3 - 3 * x + 1
    ends = sorted(r.holds.boundary, key=float)
    assert [round(float(e), 4) for e in ends] == [-1.8794, 0.3473, 1.5321, 2.0]
    for e in ends[:3]:
        assert sympy.simplify(f.subs(x, e)) == 0  # each endpoint is a root, exactly
    # the set agrees with the sign of f at exact points on a fine grid
    for k in range(-40, 41):
        q = Fraction(k, 20)
        assert r.contains({"x": q}) == (q**3 - 3 * q + 1 >= 0)


def test_maxima_switch_points():
    tree = one_option("max(x, 1 - x)", 0, 1)
    r = holds_where(tree, "EV() >= 3/4", "x")
    q = sympy.Rational
    assert r.holds == sympy.Union(sympy.Interval(0, q(1, 4)), sympy.Interval(q(3, 4), 1))


def test_two_parameter_curves(korea):
    # at the other defaults EV(talks) = 98 - 90 pf - 130 pd (by hand): the line bounds the region
    r = holds_where(korea, "EV(talks) >= EV(no talks)", ["p_flout", "p_defect"])
    pf, pd = symbol("p_flout"), symbol("p_defect")
    line = sympy.Poly(98 - 90 * pf - 130 * pd, pf, pd).monic().as_expr()
    assert any(sympy.expand(c.lhs - line) == 0 for c in r.curves)
    # the simplex edge pf + pd = 1 bounds it too
    assert any(sympy.expand(c.lhs - (pf + pd - 1)) == 0 for c in r.curves)


def test_region_plots_are_vector_shapes(korea):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.collections import QuadMesh
    from matplotlib.image import AxesImage

    from evtree.presentation.plots.claims import plot_region

    one = holds_where(one_option("x**2 - 2", -3, 3), "EV() >= 0", "x")
    ax = plot_region(one)
    spans = [p for p in ax.patches]
    assert len(spans) == 2  # [-3, -sqrt 2] and [sqrt 2, 3]
    xs = sorted(round(float(v), 4) for p in spans for v in (p.get_x(), p.get_x() + p.get_width()))
    assert xs == [-3.0, -1.4142, 1.4142, 3.0]
    two = holds_where(korea, "EV(talks) >= EV(no talks)", ["p_flout", "p_defect"])
    ax = plot_region(two)
    assert not any(isinstance(c, (QuadMesh, AxesImage)) for c in ax.get_children())  # no raster
    assert len(ax.lines) >= 2  # the exact line 98 - 90 pf - 130 pd = 0 and the simplex edge

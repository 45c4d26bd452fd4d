"""Perfect Bayesian equilibria of signalling games.

    as_signalling   recognise a signalling game: nature draws a type, the sender sees it and
                    sends a message, the receiver sees only the message and acts
    signalling      its pure PBE (exact enumeration) and, for two types and two messages,
                    its semi-separating PBE from the indifference conditions, in closed form

The tree must have this shape: the root is a chance node (the types); each of
its children is a decision node of the sender (alone in its information set),
all with the same message labels; each message leads to a decision node of the
receiver, and the receiver's nodes after one message form one information set
(one per message) with the same action labels; every action leads to a terminal.

A pure PBE is a message per type and an action per message such that each
type's message is best for it given the receiver's actions, and each action is
best for the receiver given its belief: Bayes' rule on messages some type sends;
on a message no type sends (off the path) *some* belief must make the action
best.  For two types the off-path beliefs that do are an interval of
``mu_SET`` (the probability of the first type), stated in ``conditions``.

A semi-separating PBE (two types, two messages): one type sends both messages,
the other only one; the receiver mixes after the shared message.  The mixing
probabilities come from the two indifference conditions (receiver's, then the
mixing type's), which are linear, so they are given in closed form.

Parameter conditions are computed from the tree's expressions, so in symbolic
arithmetic each equilibrium comes with the exact conditions on the parameters
under which it exists.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from typing import Any

import sympy

from ..core import model
from ..core.compile import CHANCE, DECISION, TERMINAL
from ..core.errors import EvaluationError
from ..core.expressions import exact_number, symbol
from ._game import Game
from .records import Equilibrium, GameSolution

__all__ = ["Signalling", "as_signalling", "signalling"]


@dataclasses.dataclass(frozen=True)
class Signalling:
    """The structure of a signalling game, by flat node indices."""

    sender: int
    receiver: int
    types: tuple[int, ...]  # the sender's nodes, one per type (children of the root)
    type_labels: tuple[str, ...]
    messages: tuple[str, ...]
    actions: tuple[str, ...]
    receiver_nodes: tuple[tuple[int, ...], ...]  # [type][message] -> receiver node
    terminals: tuple[tuple[tuple[int, ...], ...], ...]  # [type][message][action] -> terminal
    receiver_sets: tuple[str, ...]  # information set key per message


def as_signalling(game: Game) -> Signalling | None:
    """Return the signalling structure of a game, or ``None`` if it does not have that shape."""
    flat = game.flat
    kind, first, count = flat.kind, flat.first_child, flat.n_children
    if flat.size < 2 or kind[0] != CHANCE:
        return None

    def kids(i: int) -> list[int]:
        return list(range(int(first[i]), int(first[i] + count[i])))

    types = kids(0)
    if any(kind[t] != DECISION for t in types):
        return None
    sender = int(game.mover[types[0]])
    messages = tuple(flat.nodes[c]._label for c in kids(types[0]))
    receiver = -1
    receiver_nodes, terminals = [], []
    actions: tuple[str, ...] | None = None
    for t in types:
        if game.mover[t] != sender or len(game.info_sets[game.key_of[t]]) != 1:
            return None
        if tuple(flat.nodes[c]._label for c in kids(t)) != messages:
            return None
        row, trow = [], []
        for r in kids(t):
            if kind[r] != DECISION:
                return None
            if receiver == -1:
                receiver = int(game.mover[r])
            if game.mover[r] != receiver or receiver == sender:
                return None
            acts = tuple(flat.nodes[c]._label for c in kids(r))
            if actions is None:
                actions = acts
            if acts != actions or any(kind[c] != TERMINAL for c in kids(r)):
                return None
            row.append(r)
            trow.append(tuple(kids(r)))
        receiver_nodes.append(tuple(row))
        terminals.append(tuple(trow))
    sets = []
    for m in range(len(messages)):
        column = {receiver_nodes[t][m] for t in range(len(types))}
        key = game.key_of[receiver_nodes[0][m]]
        if set(game.info_sets[key]) != column:
            return None
        sets.append(key)
    if len(set(sets)) != len(sets) or actions is None:
        return None
    return Signalling(
        sender,
        receiver,
        tuple(types),
        tuple(flat.nodes[t]._label for t in types),
        messages,
        actions,
        tuple(receiver_nodes),
        tuple(terminals),
        tuple(sets),
    )


def _sym(x: Any) -> sympy.Expr:
    return x if isinstance(x, sympy.Basic) else exact_number(x)


def signalling(
    tree: model.DecisionTree, values: Mapping[str, Any] | None = None, *, method: str = "exact"
) -> GameSolution:
    """Return the perfect Bayesian equilibria of a signalling game.

    Parameters
    ----------
    tree : DecisionTree
        A signalling game (see the module notes for its shape).
    values : mapping, optional
        Parameter values (single values).
    method : {"exact", "float", "symbolic"}
        ``exact``/``float``: the equilibria at the parameter point, each with
        its conditions in the parameters (which hold at the point).
        ``symbolic``: the equilibria at the default values *and* those that
        exist elsewhere where this can be decided (conditions in one
        parameter), with payoffs and mixing probabilities as expressions.

    Returns
    -------
    GameSolution
        Equilibria of kind ``"perfect bayesian"``; ``description`` says
        pooling, separating or semi-separating in words; ``beliefs`` gives the
        receiver's beliefs (Bayes on the path; a symbol ``mu_SET`` off it, with
        the beliefs allowed stated in ``conditions``).

    Examples
    --------
    >>> from evtree.games import examples
    >>> sol = signalling(examples.beer_quiche())
    >>> [e.description for e in sol]
    ['pooling on Beer', 'pooling on Quiche']
    """
    if method not in ("exact", "float", "symbolic"):
        raise ValueError(f"method must be 'exact', 'float' or 'symbolic', got {method!r}")
    game = Game(tree)
    sig = as_signalling(game)
    if sig is None:
        raise EvaluationError(
            "not a signalling game: the root must be nature's draw of the types, each followed by the "
            "sender's message, then the receiver's action in one information set per message"
        )
    numeric = {k: v for k, v in (values or {}).items() if not isinstance(v, sympy.Basic) or v.is_number}
    _, _, _, probs_s, leaves_s = game.arrays(values, "symbolic")
    point = {symbol(k): exact_number(numeric.get(k, p.exact)) for k, p in tree.parameters.items()}
    solver = _Solver(game, sig, probs_s, leaves_s, point)
    found = solver.pure() + solver.semi_separating()
    out = []
    for eq in found:
        holds = _holds(eq.conditions, point)
        if holds is True:
            out.append(eq)
        elif method == "symbolic" and holds is False and _satisfiable(eq.conditions, tree):
            out.append(eq)
    label = (
        "perfect Bayesian equilibria: pure by exact enumeration, semi-separating from indifference conditions"
    )
    if method != "symbolic":
        out = [_at_point(e, point, float_out=(method == "float")) for e in out]
        label += f" ({method})"
    else:
        label += " (symbolic)"
    note = ""
    if len(sig.type_labels) != 2 or len(sig.messages) != 2:
        note = "semi-separating equilibria are derived for two types and two messages only"
    return GameSolution(
        tuple(out), game.players, label, not note, (), dict(out[0].payoffs) if out else {}, {}, False, note
    )


class _Solver:
    def __init__(
        self, game: Game, sig: Signalling, probs: Any, leaves: list[Any], point: dict[Any, Any]
    ) -> None:
        self.game, self.sig, self.point = game, sig, point
        self.prior = [_sym(probs[t]) for t in sig.types]
        s, r = sig.sender, sig.receiver
        self.uS = [[[_sym(leaves[s][z]) for z in row] for row in trow] for trow in sig.terminals]
        self.uR = [[[_sym(leaves[r][z]) for z in row] for row in trow] for trow in sig.terminals]
        self.names = game.players
        self.flat = game.flat

    # -- helpers
    def _key(self, node: int) -> str:
        return self.game.key_of[node]

    def _profile(
        self, msg_probs: list[dict[str, Any]], act_probs: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        prof = {}
        for t, node in enumerate(self.sig.types):
            prof[self._key(node)] = msg_probs[t]
        for m, key in enumerate(self.sig.receiver_sets):
            prof[key] = act_probs[m]
        return prof

    def _mu(self, m: int) -> sympy.Symbol:
        return symbol(f"mu_{self.sig.receiver_sets[m]}".replace(":", "_").replace("-", "_").replace("@", "_"))

    def _offpath_condition(self, m: int, a: int) -> tuple[Any, Any]:
        """Beliefs (first type's probability, two types) under which action ``a`` is best at message ``m``."""
        nT = len(self.sig.types)
        nA = len(self.sig.actions)
        if nT != 2:
            mus = [symbol(f"mu{t}_{self.sig.receiver_sets[m]}") for t in range(nT)]
            conds = [
                sympy.Ge(sum(mus[t] * (self.uR[t][m][a] - self.uR[t][m][b]) for t in range(nT)), 0)
                for b in range(nA)
                if b != a
            ]
            return sympy.And(*conds), {
                self.flat.nodes[self.sig.receiver_nodes[t][m]].key: mus[t] for t in range(nT)
            }
        mu = self._mu(m)
        conds = [
            sympy.Ge(
                sympy.expand(
                    mu * (self.uR[0][m][a] - self.uR[0][m][b])
                    + (1 - mu) * (self.uR[1][m][a] - self.uR[1][m][b])
                ),
                0,
            )
            for b in range(nA)
            if b != a
        ]
        cond = sympy.And(sympy.Ge(mu, 0), sympy.Le(mu, 1), *conds)
        beliefs = {
            self.flat.nodes[self.sig.receiver_nodes[0][m]].key: mu,
            self.flat.nodes[self.sig.receiver_nodes[1][m]].key: 1 - mu,
        }
        return cond, beliefs

    def _describe_pure(self, sends: tuple[int, ...]) -> str:
        msgs = self.sig.messages
        if len(set(sends)) == 1:
            return f"pooling on {msgs[sends[0]]}"
        if len(set(sends)) == len(sends):
            return (
                "separating ("
                + ", ".join(f"{t}: {msgs[m]}" for t, m in zip(self.sig.type_labels, sends))
                + ")"
            )
        return (
            "partially pooling ("
            + ", ".join(f"{t}: {msgs[m]}" for t, m in zip(self.sig.type_labels, sends))
            + ")"
        )

    # -- pure
    def pure(self) -> list[Equilibrium]:
        sig = self.sig
        nT, nM, nA = len(sig.types), len(sig.messages), len(sig.actions)
        out = []
        for sends in itertools.product(range(nM), repeat=nT):
            for acts in itertools.product(range(nA), repeat=nM):
                conds: list[Any] = []
                beliefs: dict[str, dict[str, Any]] = {}
                belief_conds: list[Any] = []
                # the sender: each type's message is best given the receiver's actions
                for t in range(nT):
                    mine = self.uS[t][sends[t]][acts[sends[t]]]
                    for m in range(nM):
                        if m != sends[t]:
                            conds.append(sympy.Ge(sympy.expand(mine - self.uS[t][m][acts[m]]), 0))
                # the receiver: Bayes on the path; some belief off it
                for m in range(nM):
                    senders = [t for t in range(nT) if sends[t] == m]
                    key = sig.receiver_sets[m]
                    if senders:
                        total = sympy.Add(*[self.prior[t] for t in senders])
                        for b in range(nA):
                            if b != acts[m]:
                                diff = sympy.Add(
                                    *[
                                        self.prior[t] * (self.uR[t][m][acts[m]] - self.uR[t][m][b])
                                        for t in senders
                                    ]
                                )
                                conds.append(sympy.Ge(sympy.expand(diff), 0))
                        beliefs[key] = {
                            self.flat.nodes[sig.receiver_nodes[t][m]].key: (
                                self.prior[t] / total if t in senders else sympy.Integer(0)
                            )
                            for t in range(nT)
                        }
                    else:
                        cond, bel = self._offpath_condition(m, acts[m])
                        belief_conds.append(cond)
                        beliefs[key] = bel
                payoffs = {
                    self.names[p]: sympy.Add(
                        *[
                            self.prior[t]
                            * (self.uS if p == sig.sender else self.uR)[t][sends[t]][acts[sends[t]]]
                            for t in range(nT)
                        ]
                    )
                    for p in (sig.sender, sig.receiver)
                }
                prof = self._profile(
                    [{lb: int(j == sends[t]) for j, lb in enumerate(sig.messages)} for t in range(nT)],
                    [{lb: int(j == acts[m]) for j, lb in enumerate(sig.actions)} for m in range(nM)],
                )
                out.append(
                    Equilibrium(
                        kind="perfect bayesian",
                        profile=prof,
                        payoffs={k: payoffs[k] for k in self.names if k in payoffs},
                        beliefs=beliefs,
                        conditions=_and(conds + belief_conds),
                        description=self._describe_pure(sends),
                        method="pure PBE by exact enumeration",
                    )
                )
        return out

    # -- semi-separating, two types and two messages
    def semi_separating(self) -> list[Equilibrium]:
        sig = self.sig
        if len(sig.types) != 2 or len(sig.messages) != 2:
            return []
        nA = len(sig.actions)
        out = []
        for mixer in (0, 1):
            other = 1 - mixer
            for shared in (0, 1):
                alone = 1 - shared
                for a, a2 in itertools.combinations(range(nA), 2):
                    for b in range(nA):
                        eq = self._semi(mixer, other, shared, alone, a, a2, b)
                        if eq is not None:
                            out.append(eq)
        return out

    def _semi(
        self, mixer: int, other: int, shared: int, alone: int, a: int, a2: int, b: int
    ) -> Equilibrium | None:
        sig = self.sig
        p = self.prior
        nA = len(sig.actions)
        # receiver indifferent between a and a2 after the shared message: belief mu on the mixer
        d_mix = self.uR[mixer][shared][a] - self.uR[mixer][shared][a2]
        d_oth = self.uR[other][shared][a] - self.uR[other][shared][a2]
        if sympy.simplify(d_mix - d_oth) == 0:
            return None  # indifference does not pin the belief down
        mu = sympy.simplify(-d_oth / (d_mix - d_oth))  # mu * d_mix + (1 - mu) * d_oth = 0
        # Bayes: mu = p_mix q / (p_mix q + p_oth), q = prob the mixer sends the shared message
        q = sympy.simplify(mu * p[other] / (p[mixer] * (1 - mu)))
        # the mixer indifferent between the messages: r on a at the shared message
        u_alone = self.uS[mixer][alone][b]
        ua, ua2 = self.uS[mixer][shared][a], self.uS[mixer][shared][a2]
        if sympy.simplify(ua - ua2) == 0:
            return None
        r = sympy.simplify((u_alone - ua2) / (ua - ua2))
        if any(v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) for v in (mu, q, r)):
            return None  # a type with prior 0, or a belief of 1 on the mixer: no mixing here
        conds: list[Any] = [sympy.Gt(q, 0), sympy.Lt(q, 1), sympy.Gt(r, 0), sympy.Lt(r, 1)]
        # the receiver's other actions are no better at belief mu
        for c in range(nA):
            if c not in (a, a2):
                conds.append(
                    sympy.Ge(
                        sympy.expand(
                            mu * (self.uR[mixer][shared][a] - self.uR[mixer][shared][c])
                            + (1 - mu) * (self.uR[other][shared][a] - self.uR[other][shared][c])
                        ),
                        0,
                    )
                )
        # after the mixer-only message the receiver knows the type: b is best there
        for c in range(nA):
            if c != b:
                conds.append(sympy.Ge(sympy.expand(self.uR[mixer][alone][b] - self.uR[mixer][alone][c]), 0))
        # the other type prefers the shared message
        u_other_shared = r * self.uS[other][shared][a] + (1 - r) * self.uS[other][shared][a2]
        conds.append(sympy.Ge(sympy.expand(u_other_shared - self.uS[other][alone][b]), 0))
        msgs, acts = sig.messages, sig.actions
        msg_probs = [None, None]
        msg_probs[mixer] = {msgs[shared]: q, msgs[alone]: 1 - q}
        msg_probs[other] = {msgs[shared]: 1, msgs[alone]: 0}
        act_shared = {lb: (r if j == a else 1 - r if j == a2 else 0) for j, lb in enumerate(acts)}
        act_alone = {lb: int(j == b) for j, lb in enumerate(acts)}
        act_probs = [None, None]
        act_probs[shared], act_probs[alone] = act_shared, act_alone
        node = self.flat.nodes

        def belief(m: int, on_mixer: Any) -> dict[str, Any]:
            by_type = {mixer: on_mixer, other: 1 - on_mixer}
            return {node[sig.receiver_nodes[t][m]].key: by_type[t] for t in (0, 1)}

        beliefs = {
            sig.receiver_sets[shared]: belief(shared, mu),
            sig.receiver_sets[alone]: belief(alone, sympy.Integer(1)),
        }
        u_send = {
            sig.sender: p[mixer] * u_alone + p[other] * u_other_shared,
            sig.receiver: p[mixer]
            * (
                q * (r * self.uR[mixer][shared][a] + (1 - r) * self.uR[mixer][shared][a2])
                + (1 - q) * self.uR[mixer][alone][b]
            )
            + p[other] * (r * self.uR[other][shared][a] + (1 - r) * self.uR[other][shared][a2]),
        }
        words = (
            f"semi-separating: {sig.type_labels[mixer]} mixes {msgs[shared]}/{msgs[alone]}, "
            f"{sig.type_labels[other]} sends {msgs[shared]}; "
            f"the receiver mixes {acts[a]}/{acts[a2]} after {msgs[shared]}"
        )
        return Equilibrium(
            kind="perfect bayesian",
            profile=self._profile(msg_probs, act_probs),
            payoffs={self.names[k]: sympy.simplify(v) for k, v in u_send.items()},
            beliefs=beliefs,
            conditions=_and(conds),
            description=words,
            method="semi-separating PBE from the indifference conditions (closed form)",
        )


def _and(conds: list[Any]) -> Any:
    kept = []
    for c in conds:
        if c is sympy.true:
            continue
        if c is sympy.false:
            return sympy.false
        kept.append(c)
    return sympy.And(*kept) if kept else sympy.true


def _params(expr: Any) -> set[sympy.Symbol]:
    return {s for s in getattr(expr, "free_symbols", set()) if not s.name.startswith("mu")}


def _holds(cond: Any, point: dict[Any, Any]) -> bool | None:
    """Whether the conditions hold at the point (beliefs off the path: exists one that works)."""
    c = cond.xreplace(point) if isinstance(cond, sympy.Basic) else cond
    if c is sympy.true or c is True:
        return True
    if c is sympy.false or c is False:
        return False
    mus = sorted(c.free_symbols, key=lambda s: s.name)
    if not mus:
        return bool(c)
    # the belief conditions are one interval per off-path message (two types): each nonempty
    parts = c.args if isinstance(c, sympy.And) else (c,)
    by_mu: dict[Any, list[Any]] = {}
    for part in parts:
        syms = part.free_symbols
        if not syms:
            if not bool(part):
                return False
            continue
        if len(syms) != 1:
            return None
        by_mu.setdefault(next(iter(syms)), []).append(part)
    for mu, rel in by_mu.items():
        region = sympy.Interval(0, 1)
        for rr in rel:
            region = region & sympy.solve_univariate_inequality(
                rr, mu, relational=False, domain=sympy.Interval(0, 1)
            )
        if region.is_empty:
            return False
    return True


def _satisfiable(cond: Any, tree: model.DecisionTree) -> bool:
    """Whether conditions in one parameter hold somewhere in its range (beliefs left free)."""
    params = _params(cond)
    if len(params) != 1:
        return False
    x = next(iter(params))
    lo, hi = tree.parameters[x.name].bounds
    domain = sympy.Interval(lo if lo is not None else -sympy.oo, hi if hi is not None else sympy.oo)
    parts = cond.args if isinstance(cond, sympy.And) else (cond,)
    region = domain
    for part in parts:
        if part.free_symbols == {x}:
            try:
                region = region & sympy.solve_univariate_inequality(part, x, relational=False, domain=domain)
            except (NotImplementedError, ValueError):  # pragma: no cover - sympy cannot solve it
                return False
    return not region.is_empty


def _at_point(eq: Equilibrium, point: dict[Any, Any], *, float_out: bool) -> Equilibrium:
    def num(v: Any) -> Any:
        if not isinstance(v, sympy.Basic):
            return float(v) if float_out else v
        v = sympy.simplify(v.xreplace(point))
        if float_out and not v.free_symbols:
            return float(v)
        return v

    cond = eq.conditions.xreplace(point) if isinstance(eq.conditions, sympy.Basic) else eq.conditions
    return dataclasses.replace(
        eq,
        profile={k: {lb: num(p) for lb, p in v.items()} for k, v in eq.profile.items()},
        payoffs={k: num(v) for k, v in eq.payoffs.items()},
        beliefs={k: {n: num(p) for n, p in v.items()} for k, v in (eq.beliefs or {}).items()},
        conditions=_belief_intervals(cond),
    )


def _belief_intervals(cond: Any) -> Any:
    """Simplify belief conditions to intervals of each belief symbol."""
    if not isinstance(cond, sympy.Basic) or cond in (sympy.true, sympy.false):
        return cond
    parts = cond.args if isinstance(cond, sympy.And) else (cond,)
    by_mu: dict[Any, list[Any]] = {}
    rest = []
    for part in parts:
        syms = part.free_symbols
        if len(syms) == 1 and next(iter(syms)).name.startswith("mu"):
            by_mu.setdefault(next(iter(syms)), []).append(part)
        elif syms:
            rest.append(part)
    out = list(rest)
    for mu, rel in by_mu.items():
        region = sympy.Interval(0, 1)
        for rr in rel:
            region = region & sympy.solve_univariate_inequality(
                rr, mu, relational=False, domain=sympy.Interval(0, 1)
            )
        out.append(region.as_relational(mu))
    return sympy.And(*out) if out else sympy.true

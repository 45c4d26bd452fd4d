"""Textbook games with published equilibria, built in code (used by the docs and the tests).

entry_deterrence   Selten's chain-store stage game: SPE (In, Accommodate); Nash also (Out, Fight)
centipede          Rosenthal's centipede: the unique SPE takes at the first node
matching_pennies   one information set: the unique Nash equilibrium mixes 1/2, 1/2
beer_quiche        Cho and Kreps' signalling game: two pooling PBE (Beer; Quiche)
"""

from __future__ import annotations

from ..core.model import REST, Branch, Chance, Decision, DecisionTree, Parameter, Terminal

__all__ = ["beer_quiche", "centipede", "entry_deterrence", "matching_pennies"]


def entry_deterrence() -> DecisionTree:
    """Build entry deterrence: out (0, 2), or in; then fight (-1, -1) or accommodate (1, 1)."""
    return DecisionTree(
        Decision(
            "entrant",
            [
                Branch("Out", Terminal({"Entrant": 0, "Incumbent": 2})),
                Branch(
                    "In",
                    Decision(
                        "incumbent",
                        [
                            Branch("Fight", Terminal({"Entrant": -1, "Incumbent": -1})),
                            Branch("Accommodate", Terminal({"Entrant": 1, "Incumbent": 1})),
                        ],
                        player="Incumbent",
                    ),
                ),
            ],
            player="Entrant",
        ),
        players=["Entrant", "Incumbent"],
        name="Entry deterrence",
    )


def centipede(n: int = 6) -> DecisionTree:
    """Build the centipede game of ``n`` moves (McKelvey and Palfrey's payoffs: the pot doubles).

    At stage ``k`` the mover may take 4/5 of a pot of ``2**(k+1)`` (the other gets 1/5) or pass;
    after ``n`` passes the pot of ``2**(n+1)`` is split 4/5 to the player who would move next.
    """
    players = ("A", "B")

    def split(k: int, taker: str) -> dict[str, str]:
        pot = 2 ** (k + 1)
        other = "B" if taker == "A" else "A"
        return {taker: f"{4 * pot}/5", other: f"{pot}/5"}

    node: Decision | Terminal = Terminal(split(n, players[n % 2]))
    for k in range(n - 1, -1, -1):
        node = Decision(
            f"stage{k + 1}",
            [Branch("Take", Terminal(split(k, players[k % 2]))), Branch("Pass", node)],
            player=players[k % 2],
        )
    return DecisionTree(node, players=list(players), name=f"Centipede ({n} moves)")


def matching_pennies() -> DecisionTree:
    """Build matching pennies as a tree: P2 does not see P1's coin (one information set)."""

    def p2(side: str) -> Decision:
        return Decision(
            f"p2_after_{side}",
            [
                Branch(c, Terminal({"P1": 1 if c == side else -1, "P2": -1 if c == side else 1}))
                for c in ("H", "T")
            ],
            player="P2",
            information_set="P2",
        )

    return DecisionTree(
        Decision("P1", [Branch("H", p2("H")), Branch("T", p2("T"))], player="P1"),
        players=["P1", "P2"],
        name="Matching pennies",
    )


def beer_quiche(p_weak: str | float = "1/10") -> DecisionTree:
    """Build beer-quiche (Cho and Kreps 1987): nature draws the sender weak (``p_weak``) or strong.

    The sender has Beer or Quiche for breakfast (strong prefer beer, weak quiche: +1);
    the receiver sees the breakfast only and duels or not; the sender gets +2 without a duel;
    the receiver gets 1 for dueling a weak sender or not dueling a strong one.
    """

    def receiver(t: str, d: str) -> Decision:
        branches = []
        for r in ("Duel", "NoDuel"):
            pref = 1 if (t == "Strong") == (d == "Beer") else 0
            us = pref + (2 if r == "NoDuel" else 0)
            ur = 1 if (t == "Weak") == (r == "Duel") else 0
            branches.append(Branch(r, Terminal({"Sender": us, "Receiver": ur})))
        return Decision(
            f"r_{t.lower()}_{d.lower()}", branches, player="Receiver", information_set=f"after_{d}"
        )

    def sender(t: str) -> Decision:
        return Decision(
            f"sender_{t.lower()}",
            [Branch(d, receiver(t, d)) for d in ("Beer", "Quiche")],
            player="Sender",
        )

    return DecisionTree(
        Chance(
            "type",
            [
                Branch("Weak", sender("Weak"), probability="p_weak"),
                Branch("Strong", sender("Strong"), probability=REST),
            ],
        ),
        players=["Sender", "Receiver"],
        parameters=[Parameter("p_weak", p_weak, low=0, high=1, description="probability the sender is weak")],
        name="Beer-quiche",
    )

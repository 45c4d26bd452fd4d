"""Decision rules: what decision nodes pick and what chance nodes are worth.

The names are SilverDecisions' (its ``rule`` key and objective-rule menu):

=============================  ==============  ==============================
rule                           decision picks  chance node is worth
=============================  ==============  ==============================
expected-value-maximization    the maximum     the expected value
expected-value-minimization    the minimum     the expected value
maxi-min                       the maximum     its worst (minimum) child
maxi-max                       the maximum     its best (maximum) child
mini-min                       the minimum     its minimum child
mini-max                       the minimum     its maximum child
=============================  ==============  ==============================

The four rules without probabilities look at every child of a chance node,
whatever its probability (as SilverDecisions does); a child's value includes the
payoff of the branch leading to it.  ``"max"`` and ``"min"`` (a tree's
``objective``) mean the two expected-value rules.
"""

from __future__ import annotations

from typing import NamedTuple

from .errors import ModelError

__all__ = ["EXPECTED", "RULES", "Rule", "expected_value_rule", "rule_named"]

#: How a chance node is worth its expected value.
EXPECTED = "expected"


class Rule(NamedTuple):
    """A decision rule: its name, what decisions pick (``max``/``min``), what chance nodes are worth."""

    name: str
    decision: str
    chance: str

    @property
    def uses_probabilities(self) -> bool:
        """Whether chance nodes take their expected value."""
        return self.chance == EXPECTED


#: The rules by SilverDecisions name.
RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule("expected-value-maximization", "max", EXPECTED),
        Rule("expected-value-minimization", "min", EXPECTED),
        Rule("maxi-min", "max", "min"),
        Rule("maxi-max", "max", "max"),
        Rule("mini-min", "min", "min"),
        Rule("mini-max", "min", "max"),
    )
}


def expected_value_rule(objective: str) -> Rule:
    """Return the expected-value rule of an objective ``"max"`` or ``"min"``."""
    return RULES["expected-value-maximization" if objective == "max" else "expected-value-minimization"]


def rule_named(name: str | Rule) -> Rule:
    """Return the rule called ``name`` (a SilverDecisions rule name, or ``"max"``/``"min"``).

    Raises
    ------
    ModelError
        For an unknown name; the message lists the known ones.

    Examples
    --------
    >>> rule_named("maxi-min")
    Rule(name='maxi-min', decision='max', chance='min')
    >>> rule_named("min").name
    'expected-value-minimization'
    """
    if isinstance(name, Rule):
        return name
    if name in ("max", "min"):
        return expected_value_rule(name)
    try:
        return RULES[name]
    except (KeyError, TypeError):
        known = ", ".join(RULES)
        raise ModelError(f"unknown decision rule {name!r} (known: {known}, max, min)", field="rule") from None

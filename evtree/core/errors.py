"""Exceptions raised by evtree.

Every error that concerns a model names *where* it happened: the node (by its
path from the root), the field of that node, and for files the place in the
file.  The one-line ``str()`` of an error is what the command line prints.

    EvtreeError            base class of everything evtree raises on purpose
    ModelError             a tree, parameter or claim is malformed (ValueError)
    ExpressionError        an expression is refused by the whitelist parser
    ProbabilityError       chance probabilities are outside [0, 1] or do not sum to 1
    UnknownNameError       a parameter, node, branch or strategy name is not known
    ValidationError        several model problems found at once
    FileFormatError        a tree file is malformed; says where in the file
    EvaluationError        a well-formed tree cannot be evaluated as asked
    OutputError            a result cannot be written where it was asked to go
"""

from __future__ import annotations

__all__ = [
    "EvaluationError",
    "EvtreeError",
    "ExpressionError",
    "FileFormatError",
    "ModelError",
    "ModelWarning",
    "OutputError",
    "ProbabilityError",
    "UnknownNameError",
    "ValidationError",
]


class EvtreeError(Exception):
    """Base class of every error evtree raises on purpose."""


class ModelError(EvtreeError, ValueError):
    """A tree, parameter or claim is malformed.

    Parameters
    ----------
    message : str
        What is wrong.
    node : str, optional
        Path of the node concerned, e.g. ``us_choice/talks/north``.
    field : str, optional
        Field of the node concerned, e.g. ``probability``.
    where : str, optional
        Place in a file, e.g. ``trees/x.yaml:12:5``.
    """

    def __init__(
        self,
        message: str,
        *,
        node: str | None = None,
        field: str | None = None,
        where: str | None = None,
    ) -> None:
        self.message = message
        self.node = node
        self.field = field
        self.where = where
        super().__init__(self._compose())

    def _compose(self) -> str:
        parts = []
        if self.where:
            parts.append(self.where)
        if self.node is not None:
            parts.append(f"node '{self.node}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        prefix = " ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message

    def in_file(self, where: str) -> ModelError:
        """Return a copy placed at ``where`` in a file, which already names the field."""
        new = self.located(where=where)
        new.field = None
        Exception.__init__(new, new._compose())
        return new

    def located(
        self, *, node: str | None = None, field: str | None = None, where: str | None = None
    ) -> ModelError:
        """Return a copy of this error with the location filled in where it was missing."""
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.node = self.node if self.node is not None else node
        new.field = self.field or field
        new.where = self.where or where
        Exception.__init__(new, new._compose())
        return new


class ExpressionError(ModelError):
    """An expression was refused by the whitelist parser.

    Attributes
    ----------
    expression : str
        The text that was refused.
    position : int or None
        1-based column of the offending character, when known.
    reason : str
        What is wrong, without the expression.
    """

    def __init__(
        self,
        message: str,
        *,
        expression: str,
        position: int | None = None,
        node: str | None = None,
        field: str | None = None,
        where: str | None = None,
    ) -> None:
        self.expression = expression
        self.position = position
        self.reason = message
        at = f" at position {position}" if position is not None else ""
        shown = expression if len(expression) <= 80 else expression[:77] + "..."
        super().__init__(f"expression {shown!r}{at}: {message}", node=node, field=field, where=where)
        self.message = f"expression {shown!r}{at}: {message}"

    def caret(self) -> str:
        """Return the expression with a caret under the offending position."""
        if self.position is None:
            return self.expression
        return f"{self.expression}\n{' ' * (self.position - 1)}^"


class ProbabilityError(ModelError):
    """Chance probabilities lie outside [0, 1] or do not sum to 1."""


class UnknownNameError(ModelError, KeyError):
    """A parameter, node, branch or strategy name is not known."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self._compose()


class ValidationError(ModelError):
    """Several problems found while validating a tree.

    Attributes
    ----------
    problems : list of ModelError
        Every problem found, in tree order.
    """

    def __init__(self, problems: list[ModelError]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0])
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(first + suffix)


class FileFormatError(ModelError):
    """A tree file is malformed; the message says where in the file."""


class EvaluationError(EvtreeError):
    """A well-formed tree cannot be evaluated as asked."""


class OutputError(EvtreeError, OSError):
    """A result cannot be written where it was asked to go; the message names the path."""


class ModelWarning(UserWarning):
    """Something in a tree was read or adjusted in a way worth saying (e.g. probabilities re-normalised)."""

"""Argo's ``when`` evaluation: govaluate (Knetic/govaluate@7625b7f) with Argo's variable quirk.

After substitution, Argo tokenises the ``when`` text with govaluate, turns every VARIABLE token
into a STRING literal (so ``heads == heads`` compares two strings), re-plans and evaluates with no
parameters (``steps.go`` ``shouldExecute``). The consequences users meet are all reproduced here:
numbers are float64 (``007 == 7``), equality is ``reflect.DeepEqual`` (``True == true`` is false),
names with ``.`` are accessors that fail, quoted dates become Unix-time floats, a ``-`` between two
words is a subtraction of strings and fails, and the error texts are Argo's own. The lexer, time
literals and planner have their own modules; evaluation is here.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

from wfsync.errors import ExitCode, WfsyncError
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.evaluator import go_regexp
from wfsync.expressions.exprlang.values import deep_equal, format_v
from wfsync.expressions.govaluate_plan import Stage, _Planner
from wfsync.expressions.govaluate_time import parse_time
from wfsync.expressions.govaluate_tokens import (
    K,
    Token,
    _GovaluateError,
    check_syntax,
    optimize,
    tokenize,
)

__all__ = [
    "K",
    "Stage",
    "Token",
    "WhenError",
    "check_syntax",
    "check_when",
    "evaluate_stage",
    "evaluate_when",
    "optimize",
    "parse_time",
    "tokenize",
]


class WhenError(WfsyncError):
    """A ``when`` expression that Argo would reject; ``str()`` is Argo's message."""

    exit_code = ExitCode.FINDINGS


# --- evaluation (evaluationStage.go) ---------------------------------------------------------------

_LOGICAL = "Value '{}' cannot be used with the logical operator '{}', it is not a bool"
_MODIFIER = "Value '{}' cannot be used with the modifier '{}', it is not a number"
_COMPARATOR = "Value '{}' cannot be used with the comparator '{}', it is not a number"
_TERNARY = "Value '{}' cannot be used with the ternary operator '{}', it is not a bool"
_PREFIX = "Value '{}' cannot be used after a prefix operator '{}'"


def _is_float(value: object) -> bool:
    return type(value) is float


def _check(ok: bool, template: str, value: object, symbol: str) -> None:
    if not ok:
        shown = "=" if symbol == "==" else symbol
        raise _GovaluateError(template.format(format_v(value), shown))


def _regex_match(left: Any, right: Any) -> bool:
    _check(isinstance(left, str), _COMPARATOR, left, "=~")
    if isinstance(right, str):
        try:
            pattern = go_regexp(right)
        except ExprError as exc:
            raise _GovaluateError(f"Unable to compile regexp pattern '{right}': {exc}") from None
    elif isinstance(right, re.Pattern):
        pattern = right
    else:
        raise _GovaluateError(_COMPARATOR.format(format_v(right), "=~"))
    return pattern.search(left) is not None


def _float_op(symbol: str, left: Any, right: Any) -> float:
    _check(_is_float(left), _MODIFIER, left, symbol)
    _check(_is_float(right), _MODIFIER, right, symbol)
    if symbol == "-":
        return float(left - right)
    if symbol == "*":
        return float(left * right)
    if symbol == "/":
        if right == 0:
            return math.nan if left == 0 or math.isnan(left) else math.copysign(math.inf, left)
        return float(left / right)
    if symbol == "%":
        return math.nan if right == 0 else math.fmod(left, right)
    if symbol == "**":
        try:
            return math.pow(left, right)
        except OverflowError:
            return math.inf
        except ValueError:
            return math.inf if left == 0 else math.nan
    a, b = int(left), int(right)
    results = {
        "&": a & b,
        "|": a | b,
        "^": a ^ b,
        ">>": a >> b if b >= 0 else 0,
        "<<": a << b if b < 64 else 0,
    }
    return float(results[symbol])


def evaluate_stage(stage: Stage | None) -> Any:
    """Evaluate a planned stage with govaluate's short-circuits and type checks (no parameters)."""
    if stage is None:
        return None
    symbol = stage.symbol
    if symbol == "literal":
        return stage.value
    if symbol == "parameter":
        raise _GovaluateError(f"No parameter '{stage.value}' found.")
    if symbol == "accessor":
        raise _GovaluateError(f"No parameter '{stage.value[0]}' found.")
    if symbol == "noop":
        return evaluate_stage(stage.right)
    if symbol.startswith("prefix"):
        return _prefix(symbol[len("prefix") :], evaluate_stage(stage.right))
    left = evaluate_stage(stage.left)
    if symbol == "&&" and left is False:
        return False
    if symbol == "||" and left is True:
        return True
    if symbol == "??" and left is not None:
        return left
    if symbol == ":" and left is not None:
        return left
    if symbol == "?":
        _check(isinstance(left, bool), _TERNARY, left, symbol)
        return evaluate_stage(stage.right) if left else None
    return _binary(symbol, left, evaluate_stage(stage.right))


def _prefix(op: str, value: Any) -> Any:
    if op == "!":
        _check(isinstance(value, bool), _PREFIX, value, op)
        return not value
    _check(_is_float(value), _PREFIX, value, op)
    return -value if op == "-" else float(~int(value))


def _binary(symbol: str, left: Any, right: Any) -> Any:
    """A binary operator once both sides are known (short-circuits are decided before)."""
    if symbol in ("&&", "||"):
        _check(isinstance(left, bool), _LOGICAL, left, symbol)
        _check(isinstance(right, bool), _LOGICAL, right, symbol)
        return right
    if symbol in ("??", ":"):
        return right
    if symbol == ",":
        return [*left, right] if isinstance(left, list) else [left, right]
    if symbol == "==":
        return deep_equal(left, right)
    if symbol == "!=":
        return not deep_equal(left, right)
    if symbol in (">", "<", ">=", "<="):
        _check((_is_float(left) and _is_float(right)) or (isinstance(left, str) and isinstance(right, str)),
               _COMPARATOR, left, symbol)  # fmt: skip
        return {">": left > right, "<": left < right, ">=": left >= right, "<=": left <= right}[symbol]
    if symbol in ("=~", "!~"):
        matched = _regex_match(left, right)
        return matched if symbol == "=~" else not matched
    if symbol == "in":
        _check(isinstance(right, list), _COMPARATOR, right, symbol)
        return any(type(item) is type(left) and item == left for item in right)
    if symbol == "+":
        if _is_float(left) and _is_float(right):
            return left + right
        _check(isinstance(left, str) or isinstance(right, str), _MODIFIER, left, symbol)
        return format_v(left) + format_v(right)
    return _float_op(symbol, left, right)


# --- Argo's shouldExecute ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2048)
def _plan(when: str) -> Stage | None:
    try:
        tokens = tokenize(when)
        check_syntax(tokens)
        tokens = optimize(tokens)
        _Planner(tokens).plan()
    except _GovaluateError as exc:
        hint = (
            ' (hint: try wrapping the affected expression in quotes ("))'
            if "Invalid token" in str(exc)
            else ""
        )
        raise WhenError(f"Invalid 'when' expression '{when}': {exc}{hint}") from None
    strings = [Token(K.STRING, t.value) if t.kind is K.VARIABLE else t for t in tokens]
    try:
        check_syntax(strings)
        return _Planner(optimize(strings)).plan()
    except _GovaluateError as exc:
        raise WhenError(f"Failed to parse 'when' expression '{when}': {exc}") from None


def check_when(when: str) -> None:
    """Raise :class:`WhenError` if ``when`` (already substituted) cannot be parsed."""
    if when != "":
        _plan(when)


def evaluate_when(when: str) -> bool:
    """Decide a substituted ``when`` exactly as Argo's ``shouldExecute``; raises :class:`WhenError`.

    An empty ``when`` runs the step. Errors carry Argo's texts ("Invalid 'when' expression ...",
    "Failed to evaluate 'when' expresion ..." (sic), "Expected boolean evaluation for ...").
    """
    if when == "":
        return True
    stage = _plan(when)
    try:
        result = evaluate_stage(stage)
    except _GovaluateError as exc:
        raise WhenError(f"Failed to evaluate 'when' expresion '{when}': {exc}") from None
    if not isinstance(result, bool):
        raise WhenError(f"Expected boolean evaluation for '{when}'. Got {format_v(result)}")
    return result

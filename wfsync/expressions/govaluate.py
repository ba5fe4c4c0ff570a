"""Argo's ``when`` evaluation: govaluate (Knetic/govaluate@7625b7f) with Argo's variable quirk.

After substitution, Argo tokenises the ``when`` text with govaluate, turns every VARIABLE token
into a STRING literal (so ``heads == heads`` compares two strings), re-plans and evaluates with no
parameters (``steps.go`` ``shouldExecute``). The consequences users meet are all reproduced here:
numbers are float64 (``007 == 7``), equality is ``reflect.DeepEqual`` (``True == true`` is false),
names with ``.`` are accessors that fail, quoted dates become Unix-time floats, a ``-`` between two
words is a subtraction of strings and fails, and the error texts are Argo's own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import math
import re
from collections.abc import Callable
from typing import Any

from wfsync.errors import ExitCode, WfsyncError
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.evaluator import go_regexp
from wfsync.expressions.exprlang.values import deep_equal, format_v


class WhenError(WfsyncError):
    """A ``when`` expression that Argo would reject; ``str()`` is Argo's message."""

    exit_code = ExitCode.FINDINGS


class _GovaluateError(Exception):
    """An error inside govaluate, before Argo wraps it."""


class K(enum.Enum):
    """govaluate's token kinds."""

    UNKNOWN = "UNKNOWN"
    PREFIX = "PREFIX"
    NUMERIC = "NUMERIC"
    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    PATTERN = "PATTERN"
    TIME = "TIME"
    VARIABLE = "VARIABLE"
    FUNCTION = "FUNCTION"
    SEPARATOR = "SEPARATOR"
    ACCESSOR = "ACCESSOR"
    COMPARATOR = "COMPARATOR"
    LOGICALOP = "LOGICALOP"
    MODIFIER = "MODIFIER"
    CLAUSE = "CLAUSE"
    CLAUSE_CLOSE = "CLAUSE_CLOSE"
    TERNARY = "TERNARY"


@dataclasses.dataclass(frozen=True)
class Token:
    """A govaluate token; ``value`` is a float, bool, str, list of str (accessor) or compiled pattern."""

    kind: K
    value: Any


_OPERANDS = (
    K.PREFIX,
    K.NUMERIC,
    K.BOOLEAN,
    K.VARIABLE,
    K.PATTERN,
    K.FUNCTION,
    K.ACCESSOR,
    K.STRING,
    K.TIME,
    K.CLAUSE,
)
_AFTER_VALUE = (K.MODIFIER, K.COMPARATOR, K.LOGICALOP, K.CLAUSE_CLOSE, K.TERNARY, K.SEPARATOR)
# lexerState.go: kind -> (isEOF, valid next kinds)
_STATES: dict[K, tuple[bool, tuple[K, ...]]] = {
    K.UNKNOWN: (False, _OPERANDS),
    K.CLAUSE: (False, (*_OPERANDS, K.CLAUSE_CLOSE)),
    K.CLAUSE_CLOSE: (True, (K.COMPARATOR, K.MODIFIER, K.NUMERIC, K.BOOLEAN, K.VARIABLE, K.STRING, K.PATTERN,
                            K.TIME, K.CLAUSE, K.CLAUSE_CLOSE, K.LOGICALOP, K.TERNARY, K.SEPARATOR)),
    K.NUMERIC: (True, _AFTER_VALUE),
    K.BOOLEAN: (True, _AFTER_VALUE),
    K.STRING: (True, _AFTER_VALUE),
    K.TIME: (True, (K.MODIFIER, K.COMPARATOR, K.LOGICALOP, K.CLAUSE_CLOSE, K.SEPARATOR)),
    K.PATTERN: (True, (K.MODIFIER, K.COMPARATOR, K.LOGICALOP, K.CLAUSE_CLOSE, K.SEPARATOR)),
    K.VARIABLE: (True, _AFTER_VALUE),
    K.MODIFIER: (False, (K.PREFIX, K.NUMERIC, K.VARIABLE, K.FUNCTION, K.ACCESSOR, K.STRING, K.BOOLEAN,
                         K.CLAUSE, K.CLAUSE_CLOSE)),
    K.COMPARATOR: (False, (K.PREFIX, K.NUMERIC, K.BOOLEAN, K.VARIABLE, K.FUNCTION, K.ACCESSOR, K.STRING,
                           K.TIME, K.CLAUSE, K.CLAUSE_CLOSE, K.PATTERN)),
    K.LOGICALOP: (False, (K.PREFIX, K.NUMERIC, K.BOOLEAN, K.VARIABLE, K.FUNCTION, K.ACCESSOR, K.STRING,
                          K.TIME, K.CLAUSE, K.CLAUSE_CLOSE)),
    K.PREFIX: (False, (K.NUMERIC, K.BOOLEAN, K.VARIABLE, K.FUNCTION, K.ACCESSOR, K.CLAUSE, K.CLAUSE_CLOSE)),
    K.TERNARY: (False, (K.PREFIX, K.NUMERIC, K.BOOLEAN, K.STRING, K.TIME, K.VARIABLE, K.FUNCTION,
                        K.ACCESSOR, K.CLAUSE, K.SEPARATOR)),
    K.FUNCTION: (False, (K.CLAUSE,)),
    K.ACCESSOR: (True, (K.CLAUSE, K.MODIFIER, K.COMPARATOR, K.LOGICALOP, K.CLAUSE_CLOSE, K.TERNARY, K.SEPARATOR)),
    K.SEPARATOR: (False, (K.PREFIX, K.NUMERIC, K.BOOLEAN, K.STRING, K.TIME, K.VARIABLE, K.FUNCTION,
                          K.ACCESSOR, K.CLAUSE)),
}  # fmt: skip

PREFIX_SYMBOLS = {"-", "!", "~"}
MODIFIER_SYMBOLS = {"+", "-", "*", "/", "%", "**", "&", "|", "^", ">>", "<<"}
LOGICAL_SYMBOLS = {"&&", "||"}
COMPARATOR_SYMBOLS = {"==", "!=", ">", ">=", "<", "<=", "=~", "!~", "in"}
TERNARY_SYMBOLS = {"?", ":", "??"}


# --- lexer (parsing.go) ------------------------------------------------------------------------


class _Stream:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def can_read(self) -> bool:
        return self.pos < len(self.text)

    def read(self) -> str:
        if self.pos >= len(self.text):
            raise _GovaluateError("Unexpected end of expression")
        ch = self.text[self.pos]
        self.pos += 1
        return ch

    def read_until_false(
        self, include_ws: bool, break_ws: bool, escaping: bool, condition: Callable[[str], bool]
    ) -> tuple[str, bool]:
        out: list[str] = []
        while self.can_read():
            ch = self.read()
            if escaping and ch == "\\":
                out.append(self.read())
                continue
            if ch.isspace():
                if break_ws and out:
                    return "".join(out), True
                if not include_ws:
                    continue
            if condition(ch):
                out.append(ch)
            else:
                self.pos -= 1
                return "".join(out), True
        return "".join(out), False

    def read_token_until_false(self, condition: Callable[[str], bool]) -> str:
        self.pos -= 1
        return self.read_until_false(False, True, True, condition)[0]


def _is_numeric(ch: str) -> bool:
    return ch.isdigit() or ch == "."


def _is_variable_name(ch: str) -> bool:
    return ch.isalpha() or ch.isdigit() or ch in "_."


def _is_not_alphanumeric(ch: str) -> bool:
    return not (ch.isdigit() or ch.isalpha() or ch in "()[]'\"")


def _read_token(stream: _Stream, previous: K) -> Token | None:
    while stream.can_read():
        ch = stream.read()
        if ch.isspace():
            continue
        if _is_numeric(ch):
            if stream.can_read() and ch == "0":
                ch = stream.read()
                if stream.can_read() and ch == "x":
                    digits, _ = stream.read_until_false(
                        False, True, True, lambda c: c in "0123456789abcdefABCDEF"
                    )
                    try:
                        return Token(K.NUMERIC, float(int(digits, 16)))
                    except ValueError:
                        raise _GovaluateError(f"Unable to parse hex value '{digits}' to uint64\n") from None
                stream.pos -= 1
            text = stream.read_token_until_false(_is_numeric)
            if not re.fullmatch(r"[0-9]*\.?[0-9]*", text) or not re.search(r"[0-9]", text):
                raise _GovaluateError(f"Unable to parse numeric value '{text}' to float64\n")
            return Token(K.NUMERIC, float(text))
        if ch == ",":
            return Token(K.SEPARATOR, ",")
        if ch == "[":
            name, completed = stream.read_until_false(True, False, True, lambda c: c != "]")
            if not completed:
                raise _GovaluateError("Unclosed parameter bracket")
            stream.pos += 1
            return Token(K.VARIABLE, name)
        if ch.isalpha():
            word = stream.read_token_until_false(_is_variable_name)
            token = Token(K.VARIABLE, word)
            if word in ("true", "false"):
                token = Token(K.BOOLEAN, word == "true")
            if word in ("in", "IN"):
                token = Token(K.COMPARATOR, "in")
            if "." in word:
                if word.endswith("."):
                    raise _GovaluateError(f"Hanging accessor on token '{word}'")
                parts = word.split(".")
                for part in parts[1:]:
                    if part and part[0].upper() != part[0]:
                        raise _GovaluateError(f"Unable to access unexported field '{part}' in token '{word}'")
                token = Token(K.ACCESSOR, parts)
            return token
        if ch in "'\"":
            text, completed = stream.read_until_false(True, False, True, lambda c: c not in "'\"")
            if not completed:
                raise _GovaluateError("Unclosed string literal")
            stream.pos += 1
            moment = parse_time(text)
            return Token(K.TIME, moment) if moment is not None else Token(K.STRING, text)
        if ch == "(":
            return Token(K.CLAUSE, "(")
        if ch == ")":
            return Token(K.CLAUSE_CLOSE, ")")
        symbol = stream.read_token_until_false(_is_not_alphanumeric)
        if K.PREFIX in _STATES[previous][1] and symbol in PREFIX_SYMBOLS:
            return Token(K.PREFIX, symbol)
        for kind, symbols in (
            (K.MODIFIER, MODIFIER_SYMBOLS),
            (K.LOGICALOP, LOGICAL_SYMBOLS),
            (K.COMPARATOR, COMPARATOR_SYMBOLS),
            (K.TERNARY, TERNARY_SYMBOLS),
        ):
            if symbol in symbols:
                return Token(kind, symbol)
        raise _GovaluateError(f"Invalid token: '{symbol}'")
    return None


def tokenize(text: str) -> list[Token]:
    """Tokenise like govaluate's ``parseTokens`` plus its parenthesis balance check."""
    stream = _Stream(text)
    tokens: list[Token] = []
    previous = K.UNKNOWN
    while stream.can_read():
        token = _read_token(stream, previous)
        if token is None:
            break
        previous = token.kind
        tokens.append(token)
    depth = sum(1 if t.kind is K.CLAUSE else -1 if t.kind is K.CLAUSE_CLOSE else 0 for t in tokens)
    if depth != 0:
        raise _GovaluateError("Unbalanced parenthesis")
    return tokens


def _format_token_value(token: Token | None) -> str:
    if token is None:
        return "<nil>"
    if token.kind in (K.CLAUSE, K.CLAUSE_CLOSE):
        return str(ord(token.value))
    if token.kind is K.PATTERN:
        return str(token.value.pattern)
    if token.kind is K.TIME:
        return format_v(token.value)
    return format_v(token.value)


def check_syntax(tokens: list[Token]) -> None:
    """Check token order with govaluate's ``checkExpressionSyntax``: token-to-token state machine."""
    state = K.UNKNOWN
    last: Token | None = None
    for token in tokens:
        if token.kind not in _STATES[state][1]:
            if last is not None and last.kind is K.VARIABLE and token.kind is K.CLAUSE:
                raise _GovaluateError(f"Undefined function {last.value}")
            raise _GovaluateError(
                f"Cannot transition token types from {state.value} [{_format_token_value(last)}] "
                f"to {token.kind.value} [{_format_token_value(token)}]"
            )
        state, last = token.kind, token
    if not _STATES[state][0]:
        raise _GovaluateError("Unexpected end of expression")


def optimize(tokens: list[Token]) -> list[Token]:
    """Precompile the constant right-hand side of ``=~``/``!~`` (``optimizeTokens``)."""
    out = list(tokens)
    for i, token in enumerate(out[:-1]):
        if token.kind is K.COMPARATOR and token.value in ("=~", "!~") and out[i + 1].kind is K.STRING:
            try:
                out[i + 1] = Token(K.PATTERN, go_regexp(out[i + 1].value))
            except ExprError as exc:
                raise _GovaluateError(str(exc)) from None
    return out


# --- time literals -------------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = r"(?P<mon>" + "|".join(_MONTHS) + ")"
_FRAC = r"(?:[.,](?P<frac>\d+))?"
_CLOCK = r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})" + _FRAC
_DATE = r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
_TIME_LAYOUTS = [
    re.compile(p + r"\Z")
    for p in (
        rf"{_WEEKDAY} {_MONTH} ?(?P<d>\d{{1,2}}) {_CLOCK} (?P<y>\d{{4}})",  # ANSIC
        rf"{_WEEKDAY} {_MONTH} ?(?P<d>\d{{1,2}}) {_CLOCK} (?P<abbr>[A-Z]{{3,5}}) (?P<y>\d{{4}})",  # UnixDate
        rf"{_WEEKDAY} {_MONTH} (?P<d>\d{{2}}) {_CLOCK} (?P<tz>[+-]\d{{4}}) (?P<y>\d{{4}})",  # RubyDate
        r"(?P<kh>\d{1,2}):(?P<mi>\d{2})(?P<ampm>AM|PM)",  # Kitchen
        rf"{_DATE}T(?P<h>\d{{2}}):(?P<mi>\d{{2}}):(?P<s>\d{{2}}){_FRAC}(?P<tz>Z|[+-]\d{{2}}:\d{{2}})",  # RFC3339
        _DATE,
        rf"{_DATE} (?P<h>\d{{1,2}}):(?P<mi>\d{{2}})",
        rf"{_DATE} {_CLOCK}",
        rf"{_DATE} {_CLOCK}(?P<tz>[+-]\d{{2}}:\d{{2}})",
        rf"{_DATE}T(?P<h>\d{{1,2}})(?P<tz>Z|[+-]\d{{4}})",
        rf"{_DATE}T(?P<h>\d{{1,2}}):(?P<mi>\d{{2}})(?P<tz>Z|[+-]\d{{4}})",
        rf"{_DATE}T{_CLOCK}(?P<tz>Z|[+-]\d{{4}})",
    )
]
_YEAR_ZERO_UNIX = -62167219200  # Go's time.Date(0, 1, 1, 0, 0, 0, 0, UTC).Unix()


def parse_time(text: str) -> float | None:
    """The Unix seconds of a string govaluate reads as a date/time, else ``None`` (zone-less is UTC)."""
    for layout in _TIME_LAYOUTS:
        match = layout.match(text)
        if match:
            parts = match.groupdict()
            try:
                return _unix(parts)
            except ValueError:
                return None
    return None


def _unix(parts: dict[str, str | None]) -> float:
    minute = int(parts.get("mi") or 0)
    if parts.get("kh") is not None:
        hour = int(parts["kh"] or 0)
        if hour > 12 or minute > 59:
            raise ValueError("hour out of range")
        hour = hour % 12 + (12 if parts["ampm"] == "PM" else 0)
        return float(_YEAR_ZERO_UNIX + hour * 3600 + minute * 60)
    month = _MONTHS.index(parts["mon"]) + 1 if parts.get("mon") else int(parts["mo"] or 0)
    moment = dt.datetime(
        int(parts["y"] or 0), month, int(parts["d"] or 0), int(parts.get("h") or 0), minute,
        int(parts.get("s") or 0), tzinfo=_zone(parts.get("tz")),
    )  # fmt: skip
    return float(math.floor(moment.timestamp()))


def _zone(text: str | None) -> dt.tzinfo:
    if not text or text == "Z":
        return dt.UTC
    digits = text[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))
    return dt.timezone(-offset if text[0] == "-" else offset)


# --- planner (stagePlanner.go) -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Stage:
    """One evaluation stage: an operator symbol with its operands, or a literal/accessor leaf."""

    symbol: str
    left: Stage | None = None
    right: Stage | None = None
    value: Any = None


_LEVELS: list[tuple[K, frozenset[str], str]] = [
    (K.TERNARY, frozenset(TERNARY_SYMBOLS), "ternary"),
    (K.LOGICALOP, frozenset({"||"}), "logical"),
    (K.LOGICALOP, frozenset({"&&"}), "logical"),
    (K.COMPARATOR, frozenset(COMPARATOR_SYMBOLS), "comparator"),
    (K.MODIFIER, frozenset({"&", "|", "^"}), "modifier"),
    (K.MODIFIER, frozenset({">>", "<<"}), "modifier"),
    (K.MODIFIER, frozenset({"+", "-"}), "modifier"),
    (K.MODIFIER, frozenset({"*", "/", "%"}), "modifier"),
    (K.MODIFIER, frozenset({"**"}), "modifier"),
]


class _Planner:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def plan(self) -> Stage | None:
        if not self.tokens:
            return None
        stage = self.separator()
        if self.pos != len(self.tokens):
            raise _GovaluateError(f"Unable to plan token kind: '{self.tokens[self.pos].kind.value}'")
        return stage

    def separator(self) -> Stage | None:
        left = self.level(0)
        while (token := self.peek()) is not None and token.kind is K.SEPARATOR:
            self.pos += 1
            left = Stage(",", left, self.level(0))
        return left

    def level(self, index: int) -> Stage | None:
        if index == len(_LEVELS):
            return self.prefix()
        kind, symbols, _ = _LEVELS[index]
        left = self.level(index + 1)
        while (token := self.peek()) is not None and token.kind is kind and token.value in symbols:
            self.pos += 1
            left = Stage(token.value, left, self.level(index + 1))
        return left

    def prefix(self) -> Stage | None:
        token = self.peek()
        if token is not None and token.kind is K.PREFIX:
            self.pos += 1
            return Stage("prefix" + token.value, None, self.prefix_operand())
        return self.value()

    def prefix_operand(self) -> Stage | None:
        token = self.peek()
        if token is not None and token.kind is K.PREFIX:
            return self.prefix()
        return self.value()

    def value(self) -> Stage | None:
        token = self.peek()
        if token is None:
            return None
        self.pos += 1
        if token.kind is K.CLAUSE:
            previous = self.tokens[self.pos - 2] if self.pos >= 2 else None
            inner = self.separator()
            closing = self.peek()
            if closing is None or closing.kind is not K.CLAUSE_CLOSE:
                raise _GovaluateError("Unbalanced parenthesis")
            self.pos += 1
            if inner is None:
                raise _GovaluateError("Unable to plan token kind: 'CLAUSE_CLOSE', value: ')'")
            if previous is not None and previous.kind is K.COMPARATOR and previous.value == "in":
                if inner.symbol == "literal":
                    inner = Stage("literal", value=[inner.value])
            return Stage("noop", None, inner)
        if token.kind is K.CLAUSE_CLOSE:
            self.pos -= 1
            return None
        if token.kind is K.ACCESSOR:
            nxt = self.peek()
            if nxt is not None and nxt.kind is K.CLAUSE:
                self.value()
            return Stage("accessor", value=token.value)
        if token.kind is K.VARIABLE:
            return Stage("parameter", value=token.value)
        if token.kind in (K.NUMERIC, K.STRING, K.PATTERN, K.BOOLEAN, K.TIME):
            return Stage("literal", value=token.value)
        raise _GovaluateError(f"Unable to plan token kind: '{token.kind.value}', value: '{token.value}'")


# --- evaluation (evaluationStage.go) ---------------------------------------------------------------

_LOGICAL = "Value '{}' cannot be used with the logical operator '{}', it is not a bool"
_MODIFIER = "Value '{}' cannot be used with the modifier '{}', it is not a number"
_COMPARATOR = "Value '{}' cannot be used with the comparator '{}', it is not a number"
_TERNARY = "Value '{}' cannot be used with the ternary operator '{}', it is not a bool"
_PREFIX = "Value '{}' cannot be used after a prefix operator '{}'"


def _is_float(value: Any) -> bool:
    return type(value) is float


def _check(ok: bool, template: str, value: Any, symbol: str) -> None:
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
        value = evaluate_stage(stage.right)
        op = symbol[len("prefix") :]
        if op == "!":
            _check(isinstance(value, bool), _PREFIX, value, op)
            return not value
        _check(_is_float(value), _PREFIX, value, op)
        return -value if op == "-" else float(~int(value))
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
    right = evaluate_stage(stage.right)
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

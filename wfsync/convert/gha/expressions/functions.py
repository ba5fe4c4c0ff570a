"""GitHub's expression functions: the core set, ``hashFiles`` and the status functions.

Every function receives its already evaluated arguments and the :class:`Runtime` of the
evaluation (workspace for ``hashFiles``, job status for ``success()`` and friends).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NoReturn

from wfsync.convert.gha.expressions.errors import ExpressionError
from wfsync.convert.gha.expressions.values import (
    Kind,
    array_items,
    equals,
    is_primitive,
    js_number_to_string,
    kind_of,
    to_number,
    to_string,
    upper_special,
)

JobStatus = Literal["success", "failure", "cancelled"]


@dataclass(frozen=True, slots=True)
class Runtime:
    """What functions may look at besides their arguments.

    ``status`` is the job status the status functions test: at step level the current job's
    status, at job level the combined result of the (transitive) ``needs``. ``None`` makes the
    status functions an error, so that a caller folding expressions cannot get them wrong.
    """

    workspace: Path | None = None
    status: JobStatus | None = None


@dataclass(frozen=True, slots=True)
class Function:
    """A function callable from expressions; names match case-insensitively."""

    name: str
    min_args: int
    max_args: int
    call: Callable[[Sequence[object], Runtime], object]


def _fail(message: str) -> ExpressionError:
    return ExpressionError(message, kind="evaluation")


# --- string functions ----------------------------------------------------------------------------


def _contains(args: Sequence[object], _: Runtime) -> bool:
    search, item = args
    if is_primitive(search):
        if not is_primitive(item):
            return False
        return to_string(item).lower() in to_string(search).lower()
    elements = array_items(search)
    return elements is not None and any(equals(item, element) for element in elements)


def _starts_with(args: Sequence[object], _: Runtime) -> bool:
    text, prefix = args
    if not (is_primitive(text) and is_primitive(prefix)):
        return False
    return upper_special(to_string(text)).startswith(upper_special(to_string(prefix)))


def _ends_with(args: Sequence[object], _: Runtime) -> bool:
    text, suffix = args
    if not (is_primitive(text) and is_primitive(suffix)):
        return False
    return upper_special(to_string(text)).endswith(upper_special(to_string(suffix)))


def _join(args: Sequence[object], _: Runtime) -> str:
    items = args[0]
    if is_primitive(items):
        return to_string(items)
    elements = array_items(items)
    if elements is None:
        return ""
    separator = to_string(args[1]) if len(args) > 1 and is_primitive(args[1]) else ","
    return separator.join(to_string(item) for item in elements)


def _format(args: Sequence[object], _: Runtime) -> str:
    """``format('{0} and {{braces}}', x)``: .NET-style placeholders, doubled braces escape."""
    template = to_string(args[0])
    out: list[str] = []
    pos = 0
    length = len(template)
    while pos < length:
        left = template.find("{", pos)
        right = template.find("}", pos)
        if left >= 0 and (right < 0 or right > left):
            if template.startswith("{", left + 1):
                out.append(template[pos : left + 1])
                pos = left + 2
                continue
            digits = left + 1
            while digits < length and "0" <= template[digits] <= "9":
                digits += 1
            # Anything between the digits and the closing brace is ignored, as GitHub does.
            if right > left + 1 and digits > left + 1:
                number = int(template[left + 1 : digits])
                if number + 1 > len(args) - 1:
                    raise _fail(
                        f"The following format string references more arguments than were supplied: {template}"
                    )
                out.append(template[pos:left])
                out.append(to_string(args[number + 1]))
                pos = right + 1
                continue
            raise _fail(f"The following format string is invalid: {template}")
        if right >= 0:
            if not template.startswith("}", right + 1):
                raise _fail(f"The following format string is invalid: {template}")
            out.append(template[pos : right + 1])
            pos = right + 2
            continue
        out.append(template[pos:])
        break
    return "".join(out)


# --- JSON ----------------------------------------------------------------------------------------

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_string(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    if _LONE_SURROGATE.search(quoted):
        quoted = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)
    return quoted


def to_json(value: object, level: int = 0) -> str:
    """``JSON.stringify(value, null, 2)`` as GitHub's ``toJSON`` prints it."""
    kind = kind_of(value)
    if kind is Kind.NULL:
        return "null"
    if kind is Kind.BOOLEAN:
        return "true" if value else "false"
    if kind is Kind.NUMBER:
        number = to_number(value)
        return js_number_to_string(number) if math.isfinite(number) else "null"
    if kind is Kind.STRING:
        return _json_string(to_string(value))
    inner = "  " * (level + 1)
    elements = array_items(value)
    if elements is not None:
        if not elements:
            return "[]"
        items = [inner + to_json(item, level + 1) for item in elements]
        return "[\n" + ",\n".join(items) + "\n" + "  " * level + "]"
    if not isinstance(value, Mapping) or not value:
        return "{}"
    pairs = [
        f"{inner}{_json_string(to_string(key))}: {to_json(item, level + 1)}" for key, item in value.items()
    ]
    return "{\n" + ",\n".join(pairs) + "\n" + "  " * level + "}"


def _to_json(args: Sequence[object], _: Runtime) -> str:
    return to_json(args[0])


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"invalid JSON value {name}")


def from_json(text: str) -> object:
    """``JSON.parse``: strict JSON (no NaN/Infinity literals), every number a float."""
    if not text.strip():
        raise _fail("empty input")
    try:
        return json.loads(text, parse_int=float, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise _fail(f"Error parsing JSON when evaluating fromJson: {exc}") from None


def _from_json(args: Sequence[object], _: Runtime) -> object:
    return from_json(to_string(args[0]))


# --- case ----------------------------------------------------------------------------------------


def _case(args: Sequence[object], _: Runtime) -> object:
    """``case(pred1, value1, pred2, value2, ..., default)``: predicates must be booleans."""
    for i in range(0, len(args) - 1, 2):
        predicate = args[i]
        if kind_of(predicate) is not Kind.BOOLEAN:
            raise _fail("case predicate must evaluate to a boolean value")
        if predicate:
            return args[i + 1]
    return args[-1]


# --- runner functions ----------------------------------------------------------------------------


def _status_function(
    name: str, test: Callable[[JobStatus], bool]
) -> Callable[[Sequence[object], Runtime], bool]:
    def call(_: Sequence[object], runtime: Runtime) -> bool:
        if runtime.status is None:
            raise _fail(f"{name}() needs the job status, which is not known here")
        return test(runtime.status)

    return call


def _hash_files(args: Sequence[object], runtime: Runtime) -> str:
    from wfsync.convert.gha.expressions.hashfiles import hash_files

    if runtime.workspace is None:
        raise _fail("hashFiles() needs a workspace directory, which is not known here")
    return hash_files(runtime.workspace, [to_string(arg) for arg in args])


_MANY = 2**31 - 1

BUILTINS: Mapping[str, Function] = {
    f.name.lower(): f
    for f in (
        Function("case", 3, _MANY, _case),
        Function("contains", 2, 2, _contains),
        Function("endsWith", 2, 2, _ends_with),
        Function("format", 1, 255, _format),
        Function("fromJSON", 1, 1, _from_json),
        Function("join", 1, 2, _join),
        Function("startsWith", 2, 2, _starts_with),
        Function("toJSON", 1, 1, _to_json),
        Function("hashFiles", 1, 255, _hash_files),
        Function("success", 0, 0, _status_function("success", lambda s: s == "success")),
        Function("failure", 0, 0, _status_function("failure", lambda s: s == "failure")),
        Function("cancelled", 0, 0, _status_function("cancelled", lambda s: s == "cancelled")),
        Function("always", 0, 0, lambda _args, _runtime: True),
    )
}
"""GitHub's functions by lower-cased name."""

STATUS_FUNCTIONS = frozenset({"success", "failure", "cancelled", "always"})
"""Functions whose result depends on the job status rather than on their arguments."""

ARITIES: Mapping[str, tuple[int, int]] = {name: (f.min_args, f.max_args) for name, f in BUILTINS.items()}
"""What the parser checks calls against."""

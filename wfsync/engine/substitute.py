"""Argo's ``{{...}}`` substitution over plain data (``util/template``).

Argo substitutes on the JSON text of an object; splicing the raw value into every string (map
keys included) gives the same result after unmarshalling. Three strictness levels exist:

* lenient (``allow_unresolved=True``): an unknown simple tag, or an expression that fails or
  gives ``nil``, stays as the literal ``{{...}}`` text (most runtime passes);
* strict (``allow_unresolved=False``): either is an error (loop expansion);
* validation is done elsewhere (it only looks at some roots).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from wfsync.errors import ExitCode, WfsyncError
from wfsync.expressions import exprlang


class SubstitutionError(WfsyncError):
    """A tag that must resolve and did not; ``str()`` is Argo's message."""

    exit_code = ExitCode.FINDINGS


def _tags(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, tag)`` of each ``{{tag}}`` as fasttemplate finds them (no nesting)."""
    found: list[tuple[int, int, str]] = []
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            return found
        end = text.find("}}", start + 2)
        if end < 0:
            return found
        found.append((start, end + 2, text[start + 2 : end]))
        pos = end + 2


def render_tag(
    tag: str, params: Mapping[str, str], allow_unresolved: bool, env: Callable[[], dict[str, object]]
) -> str:
    """The replacement text of one tag (the literal ``{{tag}}`` when unresolved and allowed)."""
    stripped = tag.strip()
    if stripped.startswith("="):
        expression = stripped[1:]
        try:
            result = exprlang.evaluate(expression, env())
            if result is None:
                raise exprlang.ExprError(f'failed to evaluate expression "{expression}"')
            return exprlang.render_expression_tag(result)
        except exprlang.ExprError as exc:
            if allow_unresolved:
                return "{{" + tag + "}}"
            message = str(exc)
            if not message.startswith("failed to evaluate expression"):
                message = f"failed to evaluate expression: {message}"
            raise SubstitutionError(message) from None
    value = params.get(stripped)
    if value is not None:
        return value
    index = tag.rfind("{{")
    if index > 0 and tag[index + 2 :] in params:
        return "{{" + tag[:index] + params[tag[index + 2 :]]
    if allow_unresolved:
        return "{{" + tag + "}}"
    raise SubstitutionError(f"failed to resolve {{{{{tag}}}}}")


class Substituter:
    """Replaces tags from one flat parameter map; the expression environment is built lazily."""

    def __init__(
        self,
        params: Mapping[str, str],
        *,
        allow_unresolved: bool = True,
        env: dict[str, object] | None = None,
    ) -> None:
        self.params = params
        self.allow_unresolved = allow_unresolved
        self._env: dict[str, object] | None = env
        """Given when the expression environment holds more than the strings (``nil`` outputs)."""

    def env(self) -> dict[str, object]:
        """The nested expr-lang environment of the parameters (built on first use)."""
        if self._env is None:
            self._env = exprlang.build_env(self.params)
        return self._env

    def text(self, text: str) -> str:
        """Substitute one string."""
        if "{{" not in text:
            return text
        tags = _tags(text)
        if not tags:
            return text
        pieces: list[str] = []
        last = 0
        for start, end, tag in tags:
            pieces.append(text[last:start])
            pieces.append(render_tag(tag, self.params, self.allow_unresolved, self.env))
            last = end
        pieces.append(text[last:])
        return "".join(pieces)

    def value(self, value: object) -> Any:
        """Substitute every string of a JSON-like value (map keys included); returns a copy."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value


def substitute(value: object, params: Mapping[str, str], *, allow_unresolved: bool = True) -> Any:
    """Replace ``{{...}}`` tags throughout ``value`` from ``params``."""
    return Substituter(params, allow_unresolved=allow_unresolved).value(value)


def tags_in(value: object) -> list[str]:
    """The text of every ``{{tag}}`` left in the strings of ``value`` (map keys included)."""
    if isinstance(value, str):
        return [tag for _, _, tag in _tags(value)] if "{{" in value else []
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*tags_in(k), *tags_in(v))]
    if isinstance(value, list):
        return [t for v in value for t in tags_in(v)]
    return []


def has_tags(value: object) -> bool:
    """Whether any string in ``value`` still holds a ``{{`` tag."""
    if isinstance(value, str):
        return bool(_tags(value))
    if isinstance(value, dict):
        return any(has_tags(k) or has_tags(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_tags(v) for v in value)
    return False

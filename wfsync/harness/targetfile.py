"""Add, update or remove one target in ``wfsync.yaml`` text without disturbing the rest of it.

ruamel.yaml's round trip keeps comments, key order and quoting; the indentation it writes is
chosen as the one that reproduces the file unchanged (so an untouched part is byte-for-byte the
same). The functions here are pure (text in, text out); reading and the atomic write are at
the end. The caller validates the file with :func:`wfsync.config.load_config` first: an invalid
``wfsync.yaml`` is refused (exit 2), never rewritten.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wfsync.errors import ConfigError
from wfsync.harness.kind import NAMESPACE, Action

_INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (3, 3, 0))
"""(mapping, sequence, offset) layouts tried, most common first."""
MANAGED_KEYS = ("type", "context", "namespace", "allowedContexts")
"""Keys of a target that ``cluster up`` owns; any other key a user added is kept."""

MINIMAL_CONFIG = """\
# Created by `wfsync cluster up`; `wfsync init` scaffolds a complete repository.
targets:
"""


@dataclasses.dataclass(frozen=True)
class Edit:
    """The new text and what changed."""

    text: str
    action: Action
    default_cleared: bool = False
    """``defaultTarget`` named the removed target and was removed (the default is ``local`` again)."""


def kind_target(context: str, namespace: str = NAMESPACE) -> dict[str, Any]:
    """The target ``cluster up`` writes: a Kubernetes target allowed only on its own context."""
    return {"type": "kubernetes", "context": context, "namespace": namespace, "allowedContexts": [context]}


def _yaml(layout: tuple[int, int, int]) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = layout
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(yaml: Any, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _load(text: str, path: Path | str) -> tuple[Any, tuple[int, int, int]]:
    """The round-trip document and the layout that writes it back unchanged."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    try:
        data = _yaml(_INDENTS[0]).load(text)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(f"not valid YAML: {getattr(err, 'problem', err)}", path=path, line=line) from None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ConfigError("the file must be a mapping", path=path, line=1)
    for layout in _INDENTS:
        if _dump(_yaml(layout), data) == text:
            return data, layout
    return data, _INDENTS[0]


def _targets(data: Any, path: Path | str, *, create: bool) -> Any:
    from ruamel.yaml.comments import CommentedMap

    targets = data.get("targets")
    if targets is None:
        if not create:
            return None
        targets = CommentedMap()
        data["targets"] = targets
    if not isinstance(targets, CommentedMap):
        raise ConfigError("targets must be a mapping of target names", path=path)
    if not targets:
        targets.fa.set_block_style()
    return targets


def _plain(value: Any) -> Any:
    """A round-trip value as plain data, for comparison."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def upsert_target(text: str, name: str, spec: Mapping[str, Any], *, path: Path | str = "wfsync.yaml") -> Edit:
    """``text`` with target ``name`` set to ``spec`` (other keys of an existing target kept)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    data, layout = _load(text, path)
    targets = _targets(data, path, create=True)
    current = targets.get(name)
    if isinstance(current, Mapping) and all(_plain(current.get(k)) == _plain(v) for k, v in spec.items()):
        return Edit(text, Action.UNCHANGED)
    if not isinstance(current, CommentedMap):
        action = Action.CREATED if name not in targets else Action.UPDATED
        last = list(targets)[-1] if targets else None
        following = _pop_following(targets, last) if last is not None and last != name else None
        current = CommentedMap()
        targets[name] = current
    else:
        action = Action.UPDATED
    for key, value in spec.items():
        if isinstance(value, list):
            seq = CommentedSeq(value)
            seq.fa.set_flow_style()
            value = seq
        current[key] = value
    if action is Action.CREATED:
        _put_following(targets, name, following)
    return Edit(_dump(_yaml(layout), data), action)


def remove_target(text: str, name: str, *, path: Path | str = "wfsync.yaml") -> Edit:
    """``text`` without target ``name``; ``defaultTarget`` removed too when it named it."""
    data, layout = _load(text, path)
    targets = _targets(data, path, create=False)
    if targets is None or name not in targets:
        return Edit(text, Action.ABSENT)
    _remove(targets, name)
    cleared = data.get("defaultTarget") == name
    if cleared:
        _remove(data, "defaultTarget")
    return Edit(_dump(_yaml(layout), data), Action.REMOVED, default_cleared=cleared)


def _slot(mapping: Any, key: Any) -> tuple[Any, Any, int]:
    """Where ruamel keeps the comment that follows entry ``key``: its value's deepest last item.

    ruamel attaches comment lines that precede a key to the end of the entry before it (index 2
    of a mapping item, 0 of a sequence item), so they move when that entry moves or goes.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    container, where, index = mapping, key, 2
    while True:
        child = container[where]
        if not isinstance(child, CommentedMap | CommentedSeq) or not child or child.fa.flow_style():
            return container, where, index
        if isinstance(child, CommentedMap):
            container, where, index = child, list(child)[-1], 2
        else:
            container, where, index = child, len(child) - 1, 0


def _pop_following(mapping: Any, key: Any) -> Any:
    """Detach the comment lines after entry ``key`` (an inline comment on its last line stays)."""
    container, where, index = _slot(mapping, key)
    entry = container.ca.items.get(where)
    token = entry[index] if entry is not None and len(entry) > index else None
    if token is None:
        return None
    inline, newline, rest = token.value.partition("\n")
    if not rest.strip():
        return None
    if inline.strip():
        token.value = inline + newline
        moved = copy.copy(token)
        moved.value = "\n" + rest
        return moved
    entry[index] = None
    return token


def _put_following(mapping: Any, key: Any, token: Any) -> None:
    """Attach comment lines (from :func:`_pop_following`) after entry ``key``."""
    if token is None:
        return
    container, where, index = _slot(mapping, key)
    entry = container.ca.items.setdefault(where, [None, None, None, None])
    current = entry[index]
    if current is None:
        entry[index] = token
    else:
        current.value = current.value.rstrip("\n") + token.value


def _remove(mapping: Any, key: str) -> None:
    """Delete ``key``, keeping the comment lines that followed it (they introduce the next key)."""
    keys = list(mapping)
    index = keys.index(key)
    following = _pop_following(mapping, key)
    del mapping[key]
    if index > 0:
        _put_following(mapping, keys[index - 1], following)


def read_config_text(path: Path) -> str:
    """``wfsync.yaml``'s text (bounded, as every YAML input)."""
    from wfsync.library.yamlload import read_text_bounded

    try:
        return read_text_bounded(path)
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror or err}", path=path) from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"not UTF-8 text: {err.reason}", path=path) from None


def write_config_text(path: Path, text: str) -> None:
    """Replace ``path`` atomically (a reader sees the old file or the new one, never half)."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=".wfsync-", suffix=".yaml.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

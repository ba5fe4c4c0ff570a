"""Write a new ``wfsync.io/version`` into a template file, changing nothing else.

ruamel (configured as :mod:`wfsync.fmt` configures it) finds where the label's value is; only
that scalar is replaced in the text, so comments, quoting, key order and every other byte stay
as they were. A document with no label gets one under ``metadata.labels`` (made when missing),
indented as its siblings are.
"""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from wfsync.errors import InputError
from wfsync.fmt.formatter import new_yaml
from wfsync.library.yamlload import read_text_bounded
from wfsync.review.snapshot import VERSION_LABEL


def set_version(path: Path, name: str, kind: str, version: str) -> str:
    """Set the version label of document ``kind``/``name`` in ``path``; return the old value ('' if none)."""
    text = read_text_bounded(path)
    new_text, old = with_version(text, name, kind, version, path=str(path))
    if new_text != text:
        path.write_text(new_text, encoding="utf-8")
    return old


def with_version(text: str, name: str, kind: str, version: str, *, path: str = "<string>") -> tuple[str, str]:
    """``text`` with the label set, and the old value."""
    try:
        docs = list(new_yaml().load_all(text))
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise InputError(f"cannot read YAML: {err}", path=path, line=(mark.line + 1) if mark else 1) from None
    lines = text.split("\n")
    for doc in docs:
        if not isinstance(doc, CommentedMap) or doc.get("kind") != kind:
            continue
        meta = doc.get("metadata")
        if not isinstance(meta, CommentedMap) or meta.get("name") != name:
            continue
        quoted = f'"{version}"'
        labels = meta.get("labels")
        if isinstance(labels, CommentedMap) and VERSION_LABEL in labels:
            line, col = labels.lc.value(VERSION_LABEL)
            old = str(labels[VERSION_LABEL])
            lines[line] = _replace_scalar(lines[line], col, quoted)
            return "\n".join(lines), old
        if isinstance(labels, CommentedMap) and labels:
            first = next(iter(labels))
            line, col = labels.lc.key(first)
            lines.insert(line, " " * col + f"{VERSION_LABEL}: {quoted}")
            return "\n".join(lines), ""
        if meta.fa.flow_style() or (labels is not None and not isinstance(labels, CommentedMap)):
            raise InputError(
                f"metadata of {name!r} is not a block mapping: add the {VERSION_LABEL} label by hand",
                path=path,
                line=meta.lc.line + 1,
            )
        if "labels" in meta:  # labels: {} or null
            line, col = meta.lc.key("labels")
            lines[line] = " " * col + "labels:"
            lines.insert(line + 1, " " * (col + 2) + f"{VERSION_LABEL}: {quoted}")
        else:  # before the first key: valid whatever that key's value spans
            line, col = meta.lc.key(next(iter(meta)))
            lines[line:line] = [" " * col + "labels:", " " * (col + 2) + f"{VERSION_LABEL}: {quoted}"]
        return "\n".join(lines), ""
    raise InputError(f"no {kind} named {name!r} in this file", path=path, line=1)


def _replace_scalar(line: str, col: int, new: str) -> str:
    """Replace the scalar starting at ``col`` (plain or quoted), keeping a trailing comment."""
    rest = line[col:]
    if rest[:1] in ("'", '"'):
        quote = rest[0]
        end = rest.find(quote, 1)
        while quote == '"' and end > 0 and rest[end - 1] == "\\":
            end = rest.find(quote, end + 1)
        end = end + 1 if end > 0 else len(rest)
    else:
        comment = rest.find(" #")
        end = comment if comment >= 0 else len(rest.rstrip())
        end = len(rest[:end].rstrip())
    return line[:col] + new + rest[end:]

"""``wfsync.yaml``: where the library lives, where it goes (targets) and lint policy.

The file is validated with the same care as templates: unknown keys and wrong types are errors
that name the line, because a silently ignored setting (a misspelt ``prune: false``) is worse
than a refusal.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from wfsync import safepath
from wfsync.errors import ConfigError
from wfsync.library.yamlload import YamlSyntaxError, load_stream, node_line, read_text_bounded
from wfsync.model.targets import Target

CONFIG_FILE = "wfsync.yaml"
STATE_DIR = ".wfsync"
DEFAULT_TARGET = "local"
TARGET_TYPES = ("embedded", "kubernetes")


@dataclasses.dataclass(frozen=True)
class LintPolicy:
    """Rules to disable, or to report as warnings only; folders ``wfsync lint`` checks besides the library."""

    disable: frozenset[str] = frozenset()
    warn: frozenset[str] = frozenset()
    paths: tuple[Path, ...] = ()
    """``lint.paths``: more files or folders (workflows calling the library) linted by default."""


@dataclasses.dataclass(frozen=True)
class Config:
    """A validated ``wfsync.yaml`` (or the defaults when there is none)."""

    root: Path
    library: Path
    library_id: str
    targets: Mapping[str, Target]
    default_target: str = DEFAULT_TARGET
    lint: LintPolicy = LintPolicy()
    path: Path | None = None

    @property
    def state_dir(self) -> Path:
        """``.wfsync/`` in the repository root: embedded cluster, caches (git-ignored)."""
        return state_folder(self.root)


def state_folder(root: Path, *parts: str) -> Path:
    """``root/.wfsync[/parts]``, refused when a symlink takes it out of ``root`` (wfsync writes there)."""
    return safepath.within(root, "/".join((STATE_DIR, *parts)), what="state folder")


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``wfsync.yaml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def cache_root(start: Path) -> Path:
    """Where ``.wfsync/`` goes: the wfsync repository, else the git work tree, else ``start``."""
    found = find_root(start)
    if found is not None:
        return found
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def default_config(root: Path) -> Config:
    """The configuration a repository without ``wfsync.yaml`` gets."""
    return Config(
        root=root,
        library=root / "library",
        library_id=_slug(root.name),
        targets={DEFAULT_TARGET: Target(DEFAULT_TARGET)},
    )


def load_config(root: Path) -> Config:
    """Read and validate ``root/wfsync.yaml``."""
    path = root / CONFIG_FILE
    try:
        text = read_text_bounded(path)
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror or err}", path=path) from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"not UTF-8 text: {err.reason}", path=path) from None
    try:
        docs = list(load_stream(text))
    except YamlSyntaxError as err:
        raise ConfigError(err.message, path=path, line=err.line) from None
    if len(docs) > 1:
        raise ConfigError("expected one YAML document", path=path, line=docs[1].line)
    data = docs[0].data if docs else {}
    node = docs[0].node if docs else None
    return _parse(root, path, {} if data is None else data, node)


def _parse(root: Path, path: Path, data: object, node: yaml.Node | None) -> Config:
    read = _Reader(path, node)
    top = read.mapping(data, {"library", "libraryId", "defaultTarget", "targets", "lint"})
    # the one containment rule: the library is inside the repository, symlinks followed
    try:
        library = safepath.within(root, read.string(top.get("library", "library"), "library"), what="library")
    except safepath.PathEscapeError as err:
        raise read.fail(err.message, "library") from None
    library_id = read.string(top.get("libraryId", _slug(root.name)), "libraryId")
    if not safepath.is_dns_label(library_id):
        raise read.fail("libraryId must be a lowercase DNS label (a-z, 0-9, '-', at most 63)", "libraryId")
    targets = _targets(read, top.get("targets", {}))
    default_target = read.string(top.get("defaultTarget", DEFAULT_TARGET), "defaultTarget")
    if default_target not in targets:
        raise read.fail(f"defaultTarget {default_target!r} is not a defined target", "defaultTarget")
    lint = _lint_policy(read, root, top.get("lint", {}) or {})
    return Config(root, library, library_id, targets, default_target, lint, path)


@dataclasses.dataclass(frozen=True)
class _Reader:
    """Checks of ``wfsync.yaml`` values; each failure names the file and the line of the value."""

    path: Path
    node: yaml.Node | None

    def fail(self, message: str, *where: str | int) -> ConfigError:
        return ConfigError(message, path=self.path, line=node_line(self.node, where) or 1)

    def mapping(self, value: object, allowed: set[str], *where: str | int) -> dict[str, object]:
        if not isinstance(value, dict):
            raise self.fail(f"{'.'.join(map(str, where)) or 'the file'} must be a mapping", *where)
        for key in value:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                raise self.fail(f"unknown key {key!r} (known: {hint})", *where, key)
        return value

    def string(self, value: object, *where: str | int) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(f"{'.'.join(map(str, where))} must be a non-empty string", *where)
        return value

    def boolean(self, value: object, *where: str | int) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{'.'.join(map(str, where))} must be true or false", *where)
        return value

    def prune_policy(self, value: object, *where: str | int) -> str:
        if value == "never" or isinstance(value, bool):
            return str(value)
        raise self.fail(f"{'.'.join(map(str, where))} must be true, false or never, not {value!r}", *where)

    def strings(self, value: object, *where: str | int) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{'.'.join(map(str, where))} must be a list of strings", *where)
        return tuple(value)


def _targets(read: _Reader, raw_targets: object) -> dict[str, Target]:
    """``targets``: the implicit embedded ``local`` target, then each one the file declares."""
    targets: dict[str, Target] = {DEFAULT_TARGET: Target(DEFAULT_TARGET)}
    if not isinstance(raw_targets, dict):
        raise read.fail("targets must be a mapping of target names", "targets")
    for name, raw in raw_targets.items():
        where = ("targets", name)
        spec = read.mapping(
            raw if raw is not None else {},
            {"type", "context", "namespace", "allowedContexts", "prune", "confirm", "kubeconfig"},
            *where,
        )
        kind = spec.get("type", "embedded")
        if not isinstance(kind, str) or kind not in TARGET_TYPES:
            raise read.fail(
                f"target type must be one of {', '.join(TARGET_TYPES)}, not {kind!r}", *where, "type"
            )
        targets[str(name)] = Target(
            name=str(name),
            type=kind,
            context=read.string(spec["context"], *where, "context") if "context" in spec else None,
            namespace=read.string(spec.get("namespace", "default"), *where, "namespace"),
            allowed_contexts=read.strings(spec.get("allowedContexts", []), *where, "allowedContexts"),
            prune=spec.get("prune") is True,
            prune_forbidden=read.prune_policy(spec.get("prune", False), *where, "prune") == "never",
            confirm=read.boolean(spec.get("confirm", False), *where, "confirm"),
            kubeconfig=read.string(spec["kubeconfig"], *where, "kubeconfig")
            if "kubeconfig" in spec
            else None,
        )
    return targets


def _lint_policy(read: _Reader, root: Path, raw: object) -> LintPolicy:
    """``lint``: rules disabled or warned, and more paths (inside the repository, as the library is)."""
    lint_raw = read.mapping(raw, {"disable", "warn", "paths"}, "lint")
    lint_paths = []
    for index, entry in enumerate(read.strings(lint_raw.get("paths", []) or [], "lint", "paths")):
        try:
            lint_paths.append(safepath.within(root, entry, what="lint path"))
        except safepath.PathEscapeError as err:
            raise read.fail(err.message, "lint", "paths", index) from None
    return LintPolicy(
        disable=frozenset(read.strings(lint_raw.get("disable", []), "lint", "disable")),
        warn=frozenset(read.strings(lint_raw.get("warn", []), "lint", "warn")),
        paths=tuple(lint_paths),
    )


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[: safepath.DNS_LABEL_MAX].strip("-")
    return slug or "library"

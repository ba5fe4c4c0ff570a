"""``wfsync library list|add|update``: the packaged standard library, vendored with versions.

``add`` copies a family's file into the project's library folder, never over a different file
without ``--force``; ``update`` shows each vendored family's semantic diff and version change
against the packaged one, then writes the packaged file. Also here: what converted output needs
from the standard library (``convert``) and the fallback a run uses when the project lacks it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path

from wfsync.commands.context import repository_config
from wfsync.errors import UsageError
from wfsync.library import standard
from wfsync.library.standard import Family, Needs


def _library(cwd: Path) -> Path:
    config = repository_config(cwd)
    if config is None:
        raise UsageError("not in a wfsync repository (no wfsync.yaml here or above): run wfsync init first")
    return config.library


@dataclasses.dataclass(frozen=True)
class Row:
    """One standard family: the packaged version and the project's copy, if any."""

    name: str
    packaged: str
    vendored: str | None
    path: Path | None

    @property
    def state(self) -> str:
        """``missing``, ``current``, ``outdated`` (the packaged version is newer) or ``differs``."""
        if self.vendored is None:
            return "missing"
        if self.vendored == self.packaged:
            return "current"
        return "outdated" if _older(self.vendored, self.packaged) else "differs"


def _version_key(version: str) -> tuple[int, ...] | None:
    parts = version.split("-", 1)[0].split("+", 1)[0].split(".")
    return tuple(int(p) for p in parts) if parts and all(p.isdigit() for p in parts) else None


def _older(a: str, b: str) -> bool:
    ka, kb = _version_key(a), _version_key(b)
    return ka is not None and kb is not None and ka < kb


def list_library(cwd: Path) -> list[Row]:
    """Every packaged family with the version the project vendors (None when it has none, or outside one)."""
    config = repository_config(cwd)
    own = standard.families(config.library) if config is not None else {}
    rows = []
    for name, family in sorted(standard.standard().items()):
        mine = own.get(name)
        rows.append(Row(name, family.version, mine.version if mine else None, mine.path if mine else None))
    return rows


@dataclasses.dataclass(frozen=True)
class Added:
    """What ``add`` did for one family: ``added``, ``unchanged``, ``replaced`` or ``skipped`` (why)."""

    name: str
    action: str
    path: Path
    version: str
    reason: str = ""


def _pick(names: Sequence[str], every: bool, shipped: dict[str, Family]) -> list[str]:
    if every and names:
        raise UsageError("give family names or --all, not both")
    if every:
        return sorted(shipped)
    if not names:
        raise UsageError("name the families to add (see wfsync library list), or give --all")
    unknown = [n for n in names if n not in shipped]
    if unknown:
        raise UsageError(
            f"not in the standard library: {', '.join(unknown)} (it has: {', '.join(sorted(shipped))})"
        )
    return list(dict.fromkeys(names))


def add_library(cwd: Path, names: Sequence[str], *, every: bool = False, force: bool = False) -> list[Added]:
    """Copy packaged families into the project's library; a different file is kept unless ``force``."""
    library = _library(cwd)
    shipped = standard.standard()
    own = standard.families(library)
    done: list[Added] = []
    for name in _pick(names, every, shipped):
        family = shipped[name]
        data = family.path.read_bytes()
        target = library / family.path.name
        elsewhere = own.get(name)
        if elsewhere is not None and elsewhere.path.resolve() != target.resolve():
            reason = f"the project has it in {elsewhere.path}; use wfsync library update {name}"
            done.append(Added(name, "skipped", elsewhere.path, family.version, reason))
            continue
        if target.exists():
            if target.read_bytes() == data:
                done.append(Added(name, "unchanged", target, family.version))
                continue
            if not force:
                reason = f"{target} exists and differs (wfsync library update {name} shows how; --force replaces it)"
                done.append(Added(name, "skipped", target, family.version, reason))
                continue
        action = "replaced" if target.exists() else "added"
        _write(target, data)
        done.append(Added(name, action, target, family.version))
    return done


def _write(target: Path, data: bytes) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.wfsync-tmp")
        temporary.write_bytes(data)
        temporary.replace(target)
    except OSError as err:
        raise UsageError(f"{target}: cannot write: {err.strerror}") from None


@dataclasses.dataclass(frozen=True)
class Update:
    """One vendored family against the packaged one: versions and the semantic diff."""

    name: str
    path: Path
    before: str
    after: str
    changes: list[dict[str, object]]
    written: bool

    @property
    def changed(self) -> bool:
        """Whether the vendored copy differs from the packaged one in meaning."""
        return bool(self.changes) or self.before != self.after


def update_library(cwd: Path, names: Sequence[str] = (), *, dry_run: bool = False) -> list[Update]:
    """Bring vendored families (all, or ``names``) to the packaged version; the diff says what changes."""
    from wfsync.sync.normalize import normalize
    from wfsync.sync.semdiff import field_changes

    library = _library(cwd)
    shipped = standard.standard()
    own = standard.families(library)
    vendored = sorted(n for n in own if n in shipped)
    for name in names:
        if name not in shipped:
            raise UsageError(f"not in the standard library: {name}")
        if name not in own:
            raise UsageError(f"{name} is not in the project's library: add it with wfsync library add {name}")
    chosen = list(dict.fromkeys(names)) if names else vendored
    updates: list[Update] = []
    for name in chosen:
        mine, theirs = own[name], shipped[name]
        changes = [c.to_json() for c in field_changes(normalize(mine.body), normalize(theirs.body))]
        update = Update(name, mine.path, mine.version, theirs.version, changes, written=False)
        if update.changed and not dry_run:
            if _shares_file(mine.path, own):
                raise UsageError(
                    f"{mine.path} holds other templates besides {name}: update it by hand "
                    f"(the packaged file is {theirs.path})"
                )
            _write(mine.path, theirs.path.read_bytes())
            update = dataclasses.replace(update, written=True)
        updates.append(update)
    return updates


def _shares_file(path: Path, own: dict[str, Family]) -> bool:
    return sum(1 for f in own.values() if f.path == path) > 1


# For convert and run ---------------------------------------------------------------------------


def project_families(cwd: Path, extra: Iterable[Path] = ()) -> set[str]:
    """Names of the template families the project's library (and ``extra`` files or folders) hold."""
    config = repository_config(cwd)
    names: set[str] = set(standard.families(config.library)) if config is not None else set()
    for path in extra:
        if path.is_dir():
            names |= set(standard.families(path))
        elif path.is_file():
            from wfsync.library.discover import read_file

            for doc in read_file(path).documents:
                meta = doc.body.get("metadata")
                if isinstance(meta, dict) and isinstance(meta.get("name"), str):
                    names.add(meta["name"])
    return names


def library_needs(documents: Iterable[object], cwd: Path) -> Needs:
    """Which standard families ``documents`` call and whether the project around ``cwd`` has them."""
    return standard.needs(documents, project_families(cwd))


def needs_lines(found: Needs | None, *, ran: bool = False) -> list[str]:
    """Plain text lines saying what the output needs from the standard library.

    ``ran``: the output was run (``convert --run``), with the packaged copies of what is missing.
    """
    if found is None or not found.needed:
        return []
    lines = [f"Library templates the output calls: {', '.join(found.needed)}"]
    if found.missing:
        lines.append(
            f"  not in this project's library: {', '.join(found.missing)} "
            f"(vendor them with: wfsync library add {' '.join(found.missing)})"
        )
        lines.append(
            "  --run used the packaged standard library for them"
            if ran
            else "  wfsync run and convert --run fall back to the packaged standard library for them"
        )
    else:
        lines.append("  all of them are in this project's library")
    return lines


def fallback_note(found: Needs) -> str:
    """What a run says when it uses packaged families the project lacks ('' when none)."""
    if not found.missing:
        return ""
    shipped = standard.standard()
    listed = ", ".join(f"{n} {shipped[n].version}" for n in found.missing)
    return (
        f"using the packaged standard library for {listed} (not in this project's library; "
        f"wfsync library add {' '.join(found.missing)} vendors them)"
    )


def convert_needs(documents: Iterable[object], cwd: Path, library: Path | None = None) -> Needs:
    """:func:`library_needs` for converted documents; ``library`` overrides the project's folder."""
    have = project_families(cwd) if library is None else set(standard.families(library))
    return standard.needs(documents, have)


def fallback_for(document: object, library: Path | None) -> list[dict[str, object]]:
    """Packaged families ``document`` needs that ``library`` (the project's, if any) lacks."""
    have = set(standard.families(library)) if library is not None else set()
    return standard.fallback_templates([document], have)[1]


def run_fallback(path: Path, cwd: Path, with_paths: Sequence[Path]) -> tuple[list[dict[str, object]], str]:
    """For ``wfsync run``: the packaged families the file needs that neither the library nor ``--with`` has.

    Returns the bodies (the run resolves ``templateRef``s to them last, after the project's own)
    and the note to show; nothing when the file cannot be read (the run reports that itself).
    """
    from wfsync.library.discover import read_file

    read = read_file(path)
    if read.problem is not None:
        return [], ""
    found, bodies = standard.fallback_templates(
        [doc.body for doc in read.documents], project_families(cwd, with_paths)
    )
    return bodies, fallback_note(found)


def needs_json(found: Needs) -> dict[str, object]:
    """JSON form of :class:`Needs` (for ``convert -o json``)."""
    return {"needed": list(found.needed), "present": list(found.present), "missing": list(found.missing)}

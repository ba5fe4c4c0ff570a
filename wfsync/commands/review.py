"""``wfsync review``: the library at two git refs, compared, classified, with callers, lint and drift.

Both refs are read from git's object database into scratch folders (the working tree, index and
HEAD are never touched); the head defaults to the working tree itself, the base to the merge-base
with the default branch, which is what a pull request is reviewed against.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from wfsync.cluster.api import ForbiddenError, Obj, identity_of
from wfsync.commands.context import config_or_default
from wfsync.config import Config, cache_root, state_folder
from wfsync.errors import UsageError
from wfsync.lint.index import DocumentSummary, summarize
from wfsync.lint.linter import lint_library
from wfsync.model import values
from wfsync.model.documents import Kind
from wfsync.review.bump import set_version
from wfsync.review.impact import CallerIndex
from wfsync.review.report import Review, review
from wfsync.review.snapshot import Snapshot, Template, load_documents, load_snapshot, summaries
from wfsync.review.versions import NEEDED, bumped, check
from wfsync.sync.ownership import LIBRARY_LABEL, label

LIVE_KINDS = (Kind.WORKFLOW.value, Kind.CRON_WORKFLOW.value, Kind.WORKFLOW_TEMPLATE.value)
"""Live objects that may call library templates."""
WORKING_TREE = "working tree"


@contextlib.contextmanager
def snapshot_at(
    config: Config, ref: str | None, *, references: bool = True
) -> Iterator[tuple[Snapshot, Path, Path]]:
    """The library at ``ref`` (None: the working tree), its folder and what paths are relative to."""
    from wfsync.library.gitsource import export_library

    if ref is None:
        if not config.library.is_dir():
            raise UsageError(f"the library folder {config.library} does not exist")
        snap = load_snapshot(config.library, config.root, WORKING_TREE, references=references)
        yield snap, config.library, config.root
        return
    with tempfile.TemporaryDirectory(prefix="wfsync-review-") as scratch:
        commit, folder = export_library(config.root, config.library, ref, Path(scratch))
        yield load_snapshot(folder, Path(scratch), commit[:12], references=references), folder, Path(scratch)


def run_review(
    cwd: Path,
    *,
    base: str | None = None,
    head: str | None = None,
    target: str | None = None,
    callers: Sequence[Path] = (),
    use_cache: bool = True,
) -> Review:
    """Review the library's change from ``base`` to ``head``."""
    from wfsync.library.gitsource import default_base

    config = config_or_default(cwd)
    for folder in callers:
        if not folder.exists():
            raise UsageError(f"--callers {folder}: no such file or folder")
    base_ref = base or default_base(config.root)
    with (
        snapshot_at(config, base_ref, references=False) as (old, _, _),
        snapshot_at(config, head) as (new, folder, root),
    ):
        index = CallerIndex()
        index.add("library", new.summaries)
        if callers:
            index.add("callers", summaries(load_documents(callers, cwd), cwd))
        if target is not None:
            _live_callers(config, cwd, target, index)
        result = review(old, new, index)
        cache_dir = state_folder(cache_root(cwd), "cache") if use_cache and head is None else None
        report = lint_library(folder, root, config.lint, cache_dir)
        result.lint = report.findings
    if target is not None:
        result.target = target
        result.drift = _drift(cwd, target)
    return result


def _live_callers(config: Config, cwd: Path, name: str, index: CallerIndex) -> None:
    """Index the references of live Workflows, CronWorkflows and WorkflowTemplates in the target."""
    from wfsync.commands.syncstate import open_cluster, require_config, resolve_target

    config = require_config(cwd)
    chosen = resolve_target(config, name)
    cluster = open_cluster(config, chosen)
    for kind in LIVE_KINDS:
        try:
            objects = cluster.list(kind, None)
        except ForbiddenError:
            objects = cluster.list(kind, chosen.namespace)
        for obj in objects:
            if label(obj, LIBRARY_LABEL) == config.library_id:
                continue  # this library's own pushed copy: its references are the library's
            ident = identity_of(obj)
            meta = obj.get("metadata") or {}
            found = summaries_of_live(obj, kind, str(meta.get("namespace") or ""), ident.name)
            index.add("target", [found], where=str(ident))


def summaries_of_live(obj: Obj, kind: str, namespace: str, name: str) -> DocumentSummary:
    """Lint's reference digest of one live object."""
    return summarize(obj, kind, f"{kind}/{namespace}/{name}", 0, lambda _path: 0, namespace, name)


def _drift(cwd: Path, target: str) -> list[str]:
    """Objects of this library edited in the target outside git (from the sync plan)."""
    from wfsync.commands.syncstate import sync_state
    from wfsync.sync.plan import Action

    state = sync_state(cwd, target, None)
    return [str(c.identity) for c in state.plan.changes if c.action is Action.DRIFT]


@dataclasses.dataclass(frozen=True)
class Bumped:
    """One version label written (or that would be, or was already right)."""

    name: str
    where: str
    old: str
    new: str
    change_class: str

    def to_json(self) -> dict[str, str]:
        """JSON form."""
        return {
            "name": self.name,
            "source": self.where,
            "from": self.old,
            "to": self.new,
            "class": self.change_class,
        }


def run_bump(
    cwd: Path, names: Sequence[str], level: str | None, *, base: str | None = None, dry_run: bool = False
) -> list[Bumped]:
    """Raise the version labels of ``names`` (default: every changed template) in the working tree.

    ``level`` None (``--auto``) bumps each template as its classification needs, and only when its
    label does not fit yet; ``major``/``minor``/``patch`` bump from the base's version. The new
    version is computed from the base, so running it twice writes the same thing.
    """
    result = run_review(cwd, base=base, callers=(), use_cache=True)
    config = config_or_default(cwd)
    by_name = {t.classified.pair.identity.name: t for t in result.templates if t.classified.pair.head}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise UsageError(f"no template named {unknown[0]!r} in the library {config.library}")
    chosen = [by_name[n] for n in names] if names else [t for t in result.changed if t.classified.pair.head]
    out: list[Bumped] = []
    for item in chosen:
        pair = item.classified.pair
        assert pair.head is not None
        old = pair.head.version
        start = pair.base.version if pair.base is not None and not pair.renamed else old
        if level is None:
            need = NEEDED.get(item.change_class)
            if need is None or (pair.base is not None and not check(item.change_class, start, old)):
                continue
            if pair.base is None or pair.renamed:
                continue  # a new template keeps the version it was written with
            new = bumped(start, need)
        else:
            new = bumped(start, level)
        if new == old:
            continue
        if not dry_run:
            set_version(config.root / pair.head.path, pair.head.identity.name, pair.head.identity.kind, new)
        out.append(Bumped(str(pair.head.identity), pair.head.where, old, new, item.change_class.value))
    return out


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """A template's state after one commit that changed it."""

    commit: str
    date: str
    summary: str
    version: str
    change_class: str
    reasons: tuple[str, ...]
    version_finding: str = ""

    def to_json(self) -> dict[str, object]:
        """JSON form."""
        return {
            "commit": self.commit,
            "date": self.date,
            "summary": self.summary,
            "version": self.version,
            "class": self.change_class,
            "reasons": list(self.reasons),
            "versionFinding": self.version_finding or None,
        }


def run_history(cwd: Path, name: str, *, limit: int = 100) -> list[HistoryEntry]:
    """Each commit (oldest first) that changed template ``name``, with its version and classification."""
    from wfsync.library.gitsource import export_library, library_commits
    from wfsync.review.classify import classify
    from wfsync.review.match import Pair

    config = config_or_default(cwd)
    commits = list(reversed(library_commits(config.root, config.library, limit)))
    out: list[HistoryEntry] = []
    previous: Template | None = None
    seen = False
    for info in commits:
        with tempfile.TemporaryDirectory(prefix="wfsync-history-") as scratch:
            _, folder = export_library(config.root, config.library, info.hexsha, Path(scratch))
            snap = load_snapshot(folder, Path(scratch), info.hexsha[:12])
        current = next((t for i, t in snap.templates.items() if i.name == name), None)
        if current is None and previous is None:
            continue
        seen = True
        if current is not None and previous is not None and current.body == previous.body:
            continue
        index = CallerIndex()
        index.add("library", snap.summaries)
        verdict = classify(Pair(previous, current), index)
        out.append(
            HistoryEntry(
                info.hexsha[:12],
                info.date,
                info.summary,
                current.version if current else "",
                verdict.change_class.value,
                tuple(r.message for r in verdict.reasons),
                check(verdict.change_class, previous.version, current.version)
                if previous is not None and current is not None
                else "",
            )
        )
        previous = current
    if not seen:
        raise UsageError(f"no template named {name!r} in the history of {config.library}")
    return out


def run_graph(cwd: Path, what: str, member: str | None = None) -> list[tuple[str, dict[str, object]]]:
    """The steps and DAG templates of a file (``what`` a path) or of a library template (``what`` a name).

    Returns ``(title, template)`` pairs; ``member`` keeps only that template.
    """
    from wfsync.review.graph import has_graph

    path = Path(what)
    if path.exists():
        docs = [(d.kind, d.name, dict(d.body)) for d in load_documents([path], cwd)]
    else:
        config = config_or_default(cwd)
        if not config.library.is_dir():
            raise UsageError(
                f"{what}: no such file, and no library folder to find a template of that name in"
            )
        snap = load_snapshot(config.library, config.root, WORKING_TREE)
        docs = [(i.kind, i.name, t.body) for i, t in snap.templates.items() if i.name == what]
        if not docs:
            raise UsageError(f"{what}: no such file, and no template of that name in {config.library}")
    out: list[tuple[str, dict[str, object]]] = []
    for kind, name, body in docs:
        raw_spec = body.get("spec")
        spec: dict[str, object] = raw_spec if isinstance(raw_spec, dict) else {}
        if kind == Kind.CRON_WORKFLOW and isinstance(inner := spec.get("workflowSpec"), dict):
            spec = inner
        meta = body.get("metadata")
        shown = name or (str(meta.get("generateName", "")) if isinstance(meta, dict) else "")
        out.extend(
            (f"{kind}/{shown} {t['name']}", t)
            for t in values.listed(spec.get("templates"))
            if isinstance(t, dict) and has_graph(t) and member in (None, t.get("name"))
        )
    if not out:
        which = f" named {member!r}" if member else ""
        raise UsageError(f"{what}: no steps or DAG template{which} to draw")
    return out

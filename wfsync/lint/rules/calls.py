"""What crosses documents at run time: arguments to templateRef'd templates, volumes they mount.

Each document is digested into a cacheable :class:`CallFacts` (inputs, mounts and calls of
every template) by :func:`summarize_calls`; :func:`check_calls` follows the calls from each
submittable document's entrypoint, across files (:mod:`wfsync.lint.rules.call_checks`). The
facts' types live in :mod:`wfsync.lint.rules.call_facts` and stay importable from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from wfsync.lint.index import Site, _callers
from wfsync.lint.rules.call_checks import CallProblem, check_calls
from wfsync.lint.rules.call_facts import EMPTY, CallFacts, Position, RefCall, TemplateFacts
from wfsync.lint.rules.parts import TEMPLATE_KINDS, Fields, names, workflow_spec
from wfsync.model.findings import JsonPath, format_json_path

__all__ = [
    "CallFacts",
    "CallProblem",
    "Position",
    "RefCall",
    "TemplateFacts",
    "check_calls",
    "summarize_calls",
]

CONTAINER_KEYS = ("container", "script")
CONTAINER_LISTS = ("initContainers", "sidecars")
_NESTED_HOLDERS = frozenset({*CONTAINER_LISTS, "containerSet"})
_DECLARING = frozenset({"inputs", "volumes", "podSpecPatch"})
"""The keys whose presence can give a template facts of its own (besides its calls and mounts)."""
Mark = Callable[[JsonPath], str]
"""Formats a JSON path; marking ones also record it as a place whose position is kept."""


def _names(items: object) -> tuple[str, ...]:
    return tuple(names(items))


def _claim_names(items: object) -> tuple[str, ...]:
    """Names of volumeClaimTemplates (PersistentVolumeClaims: the name is in their metadata)."""
    if not isinstance(items, list):
        return ()
    metas = [i.get("metadata") for i in items if isinstance(i, dict)]
    return _names([m for m in metas if isinstance(m, dict)])


def _inputs(template: Fields, what: str) -> tuple[str, ...]:
    inputs = template.get("inputs")
    return _names(inputs.get(what)) if isinstance(inputs, dict) else ()


def _holders(template: Fields) -> Iterator[tuple[object, JsonPath]]:
    """A template's containers (main, init, sidecars, container set), each with its path below it."""
    for key in CONTAINER_KEYS:
        if key in template:
            yield template[key], (key,)
    for key in CONTAINER_LISTS:
        items = template.get(key)
        if isinstance(items, list):
            yield from ((c, (key, i)) for i, c in enumerate(items))
    group = template.get("containerSet")
    if isinstance(group, dict):
        yield group, ("containerSet",)
        containers = group.get("containers")
        if isinstance(containers, list):
            yield from ((c, ("containerSet", "containers", i)) for i, c in enumerate(containers))


def _may_mount(template: Fields) -> bool:
    """Whether a template can mount anything: a cheap test that spares most templates the walk."""
    for key in CONTAINER_KEYS:
        holder = template.get(key)
        if isinstance(holder, dict) and "volumeMounts" in holder:
            return True
    return not _NESTED_HOLDERS.isdisjoint(template)


def _mounts(template: Fields, path: JsonPath) -> Iterator[tuple[str, JsonPath]]:
    """Every volumeMount name of a template's containers, with the path of its ``name``."""
    for holder, below in _holders(template):
        mounts = holder.get("volumeMounts") if isinstance(holder, dict) else None
        if not mounts or not isinstance(mounts, list):
            continue
        for index, mount in enumerate(mounts):
            name = mount.get("name") if isinstance(mount, dict) else None
            if isinstance(name, str) and "{{" not in name:
                yield name, (*path, *below, "volumeMounts", index, "name")


def _arguments(item: Fields, path: JsonPath, what: str, mark: Mark) -> tuple[tuple[str, str], ...]:
    args = item.get("arguments")
    items = args.get(what) if isinstance(args, dict) else None
    out = []
    for index, arg in enumerate(items if isinstance(items, list) else []):
        name = arg.get("name") if isinstance(arg, dict) else None
        if isinstance(name, str) and "{{" not in name:
            out.append((name, mark((*path, "arguments", what, index, "name"))))
    return tuple(out)


def _ref_call(item: Fields, path: JsonPath, what: str, mark: Mark) -> RefCall | None:
    ref = item.get("templateRef")
    if not isinstance(ref, dict):
        return None
    name, template = ref.get("name"), ref.get("template")
    if not isinstance(name, str) or not isinstance(template, str) or "{{" in name + template:
        return None
    mark((*path, "templateRef"))  # where lint.index reports on it: located here for the column
    for key in ("name", "template", "clusterScope"):
        if key in ref:
            mark((*path, "templateRef", key))
    return RefCall(
        mark(path),
        what,
        name,
        template,
        bool(ref.get("clusterScope")),
        _arguments(item, path, "parameters", mark),
        _arguments(item, path, "artifacts", mark),
    )


class _Draft:
    """A template's facts while its calls are being collected."""

    def __init__(self, template: Fields) -> None:
        self.template = template
        self.mounts: list[tuple[str, str]] = []
        self.local: list[str] = []
        self.refs: list[RefCall] = []

    def facts(self) -> TemplateFacts:
        if not (self.mounts or self.local or self.refs or _DECLARING.intersection(self.template)):
            return EMPTY  # most templates: nothing to digest, decided without building anything
        parameters = _inputs(self.template, "parameters")
        artifacts = _inputs(self.template, "artifacts")
        volumes = _names(self.template.get("volumes"))
        patched = self.template.get("podSpecPatch") is not None
        if not (parameters or artifacts or volumes or patched or self.mounts or self.local or self.refs):
            return EMPTY  # most templates: left out of the digest
        return TemplateFacts(
            parameters,
            artifacts,
            tuple(self.mounts),
            volumes,
            tuple(dict.fromkeys(self.local)),  # a template called twice is followed once
            tuple(self.refs),
            patched,
        )


class _Digest:
    """One document's calls being collected: templates, roots and the places to locate."""

    def __init__(self, spec: Fields, spec_path: JsonPath, located: bool) -> None:
        self.spec_path = spec_path
        self.wanted: dict[str, JsonPath] = {}
        self.locate_mounts = located
        """Only a submitted document's mounts are reported, so only its mounts are located (a flag,
        not a bound method kept on the instance: that would make every digest cyclic garbage)."""
        self.templates: dict[str, _Draft] = {}
        self.index_of: dict[int, str] = {}
        self.roots: list[str] = []
        self.root_refs: list[RefCall] = []
        raw = spec.get("templates")
        for index, template in enumerate(raw if isinstance(raw, list) else []):
            tname = template.get("name") if isinstance(template, dict) else None
            if not isinstance(tname, str) or tname in self.templates:
                continue
            self.index_of[index] = tname
            draft = self.templates[tname] = _Draft(template)
            if _may_mount(template):
                draft.mounts.extend(self._located_mounts(template, (*spec_path, "templates", index)))

    def mark(self, json_path: JsonPath) -> str:
        text = format_json_path(json_path)
        self.wanted[text] = json_path
        return text

    def _located_mounts(self, template: Fields, path: JsonPath) -> Iterator[tuple[str, str]]:
        where = self.mark if self.locate_mounts else format_json_path
        return ((m, where(p)) for m, p in _mounts(template, path))

    def add(self, jp: JsonPath, item: Fields, what: str) -> None:
        """A step, task or hook: what it calls, charged to its template (or the workflow's roots)."""
        depth = len(self.spec_path)
        in_template = jp[depth] == "templates"
        index = jp[depth + 1] if in_template else None
        owner = self.templates.get(self.index_of.get(index, "")) if isinstance(index, int) else None
        if in_template and owner is None:
            return
        ref = _ref_call(item, jp, what, self.mark)
        keys = ("onExit",) if ref is not None else ("template", "onExit")
        local = [t for t in (item.get(k) for k in keys) if isinstance(t, str) and "{{" not in t]
        if owner is None:
            self.roots.extend(local)
            self.root_refs.extend([ref] if ref is not None else [])
            return
        owner.local.extend(local)
        owner.refs.extend([ref] if ref is not None else [])
        inline = item.get("inline")
        if isinstance(inline, dict):
            owner.mounts.extend(self._located_mounts(inline, (*jp, "inline")))

    def workflow_ref(self, spec: Fields) -> tuple[str, bool] | None:
        wft = spec.get("workflowTemplateRef")
        if not isinstance(wft, dict) or not isinstance(wft.get("name"), str) or "{{" in wft["name"]:
            return None
        self.mark((*self.spec_path, "workflowTemplateRef"))
        return wft["name"], bool(wft.get("clusterScope"))


def summarize_calls(
    body: Fields,
    kind: str,
    path: str,
    line: int,
    namespace: str,
    name: str,
    position: Callable[[JsonPath], Position],
    *,
    sites: Iterable[Site] | None = None,
) -> CallFacts:
    """Digest one document; ``position(json_path)`` gives the line and column of a path.

    ``sites`` are the document's callers when the caller has walked them already (one walk
    serves the summary and these facts).
    """
    found, spec_path = workflow_spec(body, kind)
    spec: Fields = found or {}
    entry = spec.get("entrypoint")
    entrypoint = entry if isinstance(entry, str) and "{{" not in entry else ""
    submittable = kind not in TEMPLATE_KINDS or bool(entrypoint)
    digest = _Digest(spec, spec_path, submittable)
    for jp, item, what in _callers(spec, spec_path) if sites is None else sites:
        digest.add(jp, item, what)
    roots = [entrypoint] if entrypoint else []
    roots.extend(digest.roots)
    on_exit = spec.get("onExit")
    if isinstance(on_exit, str) and "{{" not in on_exit:
        roots.append(on_exit)
    workflow_ref = digest.workflow_ref(spec)
    templates = {
        tname: facts for tname, draft in digest.templates.items() if (facts := draft.facts()) is not EMPTY
    }
    return CallFacts(
        path,
        line,
        kind,
        namespace,
        name,
        templates,
        tuple(roots),
        tuple(digest.root_refs),
        (*_names(spec.get("volumes")), *_claim_names(spec.get("volumeClaimTemplates"))),
        entrypoint,
        workflow_ref,
        submittable,
        spec.get("podSpecPatch") is not None,
        {text: position(json_path) for text, json_path in digest.wanted.items()},
        bool(digest.root_refs) or any(t.refs for t in templates.values()),
        any(t.mounts for t in templates.values()),
    )

"""What crosses documents at run time: arguments to templateRef'd templates, volumes they mount.

A library template that mounts ``workspace`` is fine on its own: the Workflow that calls it must
declare the volume (``spec.volumes`` or ``spec.volumeClaimTemplates``), or Argo fails the pod at
run time. So each document is digested into a cacheable :class:`CallFacts` (inputs, mounts and
calls of every template), and :func:`check_calls` follows the calls from each submittable
document's entrypoint, across files, through ``templateRef``. It reports at the document that
is submitted, naming the template that mounts the volume, and reports arguments that match no
input of a templateRef'd template.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from wfsync.lint.index import _callers
from wfsync.lint.rules.spec import workflow_spec
from wfsync.lint.rules.suggest import did_you_mean
from wfsync.model.findings import JsonPath, format_json_path

Position = tuple[int, int]
TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")
CONTAINER_KEYS = ("container", "script")
CONTAINER_LISTS = ("initContainers", "sidecars")


@dataclasses.dataclass(frozen=True)
class RefCall:
    """A step, task or hook calling ``name.template`` through a templateRef, with its arguments."""

    json_path: str
    what: str
    name: str
    template: str
    cluster_scope: bool
    parameters: tuple[tuple[str, str], ...] = ()
    """Argument parameter names with the JSON path of each ``name``."""
    artifacts: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class TemplateFacts:
    """One template: its inputs, the volumes it mounts and declares, and what it calls."""

    parameters: tuple[str, ...] = ()
    artifacts: tuple[str, ...] = ()
    mounts: tuple[tuple[str, str], ...] = ()
    """Mounted volume names with the JSON path of the mount's ``name``."""
    volumes: tuple[str, ...] = ()
    """Template-level ``volumes`` (they serve this template's own pods)."""
    local: tuple[str, ...] = ()
    """Local templates called (by steps, tasks, hooks and their exit handlers)."""
    refs: tuple[RefCall, ...] = ()
    patched: bool = False
    """A ``podSpecPatch`` can add volumes, so this template's mounts are not judged."""


EMPTY = TemplateFacts()
"""A template with no inputs, mounts or calls: left out of the digest (a missing one is the same)."""


@dataclasses.dataclass(frozen=True)
class CallFacts:
    """One document's templates and, for submittable documents, its roots and declared volumes."""

    path: str
    line: int
    kind: str
    namespace: str
    name: str
    templates: Mapping[str, TemplateFacts]
    roots: tuple[str, ...] = ()
    """Local templates the workflow starts (entrypoint, onExit, hooks)."""
    root_refs: tuple[RefCall, ...] = ()
    """templateRefs the workflow's own hooks call."""
    volumes: tuple[str, ...] = ()
    entrypoint: str = ""
    workflow_ref: tuple[str, bool] | None = None
    submittable: bool = False
    patched: bool = False
    positions: Mapping[str, Position] = dataclasses.field(default_factory=dict)

    def to_json(self) -> list[Any]:
        """Compact plain data for the lint cache (positional: it is read back for every file).

        The identity (path, line, kind, namespace, name) is the document summary's, so it is left
        out here and given back to :meth:`from_json`.
        """
        return [
            {name: _template_json(t) for name, t in self.templates.items()},
            self.roots,
            [_ref_json(r) for r in self.root_refs],
            self.volumes,
            self.entrypoint,
            self.workflow_ref,
            self.submittable,
            self.patched,
            self.positions,
        ]

    @classmethod
    def from_json(cls, data: Sequence[Any], identity: tuple[str, int, str, str, str]) -> CallFacts:
        """Inverse of :meth:`to_json`, with the identity of the document's summary."""
        path, line, kind, namespace, name = identity
        (
            templates,
            roots,
            root_refs,
            volumes,
            entry,
            ref,
            sub,
            patched,
            pos,
        ) = data
        return cls(
            path,
            line,
            kind,
            namespace,
            name,
            {t: _template_from_json(v) for t, v in templates.items()},
            tuple(roots),
            tuple(_ref_from_json(r) for r in root_refs),
            tuple(volumes),
            entry,
            (ref[0], ref[1]) if ref else None,
            sub,
            patched,
            {k: (v[0], v[1]) for k, v in pos.items()},
        )


def _ref_json(ref: RefCall) -> list[Any]:
    return [ref.json_path, ref.what, ref.name, ref.template, ref.cluster_scope, ref.parameters, ref.artifacts]


def _ref_from_json(data: Sequence[Any]) -> RefCall:
    path, what, name, template, scope, parameters, artifacts = data
    return RefCall(path, what, name, template, scope, _pairs(parameters), _pairs(artifacts))


def _template_json(t: TemplateFacts) -> list[Any]:
    return [
        t.parameters,
        t.artifacts,
        t.mounts,
        t.volumes,
        t.local,
        [_ref_json(r) for r in t.refs],
        t.patched,
    ]


def _template_from_json(data: Sequence[Any]) -> TemplateFacts:
    parameters, artifacts, mounts, volumes, local, refs, patched = data
    return TemplateFacts(
        tuple(parameters),
        tuple(artifacts),
        _pairs(mounts),
        tuple(volumes),
        tuple(local),
        tuple(_ref_from_json(r) for r in refs),
        patched,
    )


def _pairs(items: Iterable[Sequence[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((a, b) for a, b in items)


# -- digest ---------------------------------------------------------------------------------------


def _names(items: Any) -> tuple[str, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(i["name"] for i in items if isinstance(i, dict) and isinstance(i.get("name"), str))


def _claim_names(items: Any) -> tuple[str, ...]:
    """Names of volumeClaimTemplates (PersistentVolumeClaims: the name is in their metadata)."""
    if not isinstance(items, list):
        return ()
    metas = [i.get("metadata") for i in items if isinstance(i, dict)]
    return _names([m for m in metas if isinstance(m, dict)])


def _inputs(template: Mapping[str, Any], what: str) -> tuple[str, ...]:
    inputs = template.get("inputs")
    return _names(inputs.get(what)) if isinstance(inputs, dict) else ()


def _mounts(template: Mapping[str, Any], path: JsonPath) -> Iterator[tuple[str, JsonPath]]:
    """Every volumeMount name of a template's containers, with the path of its ``name``."""
    holders: list[tuple[Any, JsonPath]] = [(template.get(k), (*path, k)) for k in CONTAINER_KEYS]
    for key in CONTAINER_LISTS:
        items = template.get(key)
        if isinstance(items, list):
            holders.extend((c, (*path, key, i)) for i, c in enumerate(items))
    group = template.get("containerSet")
    if isinstance(group, dict):
        holders.append((group, (*path, "containerSet")))
        containers = group.get("containers")
        if isinstance(containers, list):
            holders.extend((c, (*path, "containerSet", "containers", i)) for i, c in enumerate(containers))
    for holder, hpath in holders:
        mounts = holder.get("volumeMounts") if isinstance(holder, dict) else None
        for index, mount in enumerate(mounts if isinstance(mounts, list) else []):
            name = mount.get("name") if isinstance(mount, dict) else None
            if isinstance(name, str) and "{{" not in name:
                yield name, (*hpath, "volumeMounts", index, "name")


def _arguments(
    item: Mapping[str, Any], path: JsonPath, what: str, mark: Callable[[JsonPath], str]
) -> tuple[tuple[str, str], ...]:
    args = item.get("arguments")
    items = args.get(what) if isinstance(args, dict) else None
    out = []
    for index, arg in enumerate(items if isinstance(items, list) else []):
        name = arg.get("name") if isinstance(arg, dict) else None
        if isinstance(name, str) and "{{" not in name:
            out.append((name, mark((*path, "arguments", what, index, "name"))))
    return tuple(out)


def _ref_call(
    item: Mapping[str, Any], path: JsonPath, what: str, mark: Callable[[JsonPath], str]
) -> RefCall | None:
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


def summarize_calls(
    body: Mapping[str, Any],
    kind: str,
    path: str,
    line: int,
    namespace: str,
    name: str,
    position: Callable[[JsonPath], Position],
) -> CallFacts:
    """Digest one document; ``position(json_path)`` gives the line and column of a path."""
    spec, spec_path = workflow_spec(body, kind)
    spec = spec or {}
    wanted: dict[str, JsonPath] = {}
    entry = spec.get("entrypoint")
    entrypoint = entry if isinstance(entry, str) and "{{" not in entry else ""
    submittable = kind not in TEMPLATE_KINDS or bool(entrypoint)

    def mark(json_path: JsonPath) -> str:
        text = format_json_path(json_path)
        wanted[text] = json_path
        return text

    located = mark if submittable else format_json_path  # only a submitted document's mounts are reported
    raw = spec.get("templates")
    templates: dict[str, _Draft] = {}
    index_of: dict[int, str] = {}
    for index, template in enumerate(raw if isinstance(raw, list) else []):
        tname = template.get("name") if isinstance(template, dict) else None
        if not isinstance(tname, str) or tname in templates:
            continue
        index_of[index] = tname
        draft = templates[tname] = _Draft(template)
        draft.mounts.extend((m, located(p)) for m, p in _mounts(template, (*spec_path, "templates", index)))
    roots: list[str] = []
    root_refs: list[RefCall] = []
    depth = len(spec_path)
    for jp, item, what in _callers(spec, spec_path):
        in_template = jp[depth] == "templates"
        owner = templates.get(index_of.get(jp[depth + 1], "")) if in_template else None  # type: ignore[arg-type]
        if in_template and owner is None:
            continue
        ref = _ref_call(item, jp, what, mark)
        keys = ("onExit",) if ref is not None else ("template", "onExit")
        local = [t for t in (item.get(k) for k in keys) if isinstance(t, str) and "{{" not in t]
        if owner is None:
            roots.extend(local)
            root_refs.extend([ref] if ref is not None else [])
            continue
        owner.local.extend(local)
        owner.refs.extend([ref] if ref is not None else [])
        inline = item.get("inline")
        if isinstance(inline, dict):
            owner.mounts.extend((m, located(p)) for m, p in _mounts(inline, (*jp, "inline")))
    if entrypoint:
        roots.insert(0, entrypoint)
    on_exit = spec.get("onExit")
    if isinstance(on_exit, str) and "{{" not in on_exit:
        roots.append(on_exit)
    wft = spec.get("workflowTemplateRef")
    workflow_ref = None
    if isinstance(wft, dict) and isinstance(wft.get("name"), str) and "{{" not in wft["name"]:
        workflow_ref = (wft["name"], bool(wft.get("clusterScope")))
        mark((*spec_path, "workflowTemplateRef"))
    return CallFacts(
        path,
        line,
        kind,
        namespace,
        name,
        {tname: facts for tname, draft in templates.items() if (facts := draft.facts()) != EMPTY},
        tuple(roots),
        tuple(root_refs),
        (*_names(spec.get("volumes")), *_claim_names(spec.get("volumeClaimTemplates"))),
        entrypoint,
        workflow_ref,
        submittable,
        spec.get("podSpecPatch") is not None,
        {text: position(json_path) for text, json_path in wanted.items()},
    )


class _Draft:
    """A template's facts while its calls are being collected."""

    def __init__(self, template: Mapping[str, Any]) -> None:
        self.template = template
        self.mounts: list[tuple[str, str]] = []
        self.local: list[str] = []
        self.refs: list[RefCall] = []

    def facts(self) -> TemplateFacts:
        return TemplateFacts(
            _inputs(self.template, "parameters"),
            _inputs(self.template, "artifacts"),
            tuple(self.mounts),
            _names(self.template.get("volumes")),
            tuple(self.local),
            tuple(self.refs),
            self.template.get("podSpecPatch") is not None,
        )


# -- cross-document checks ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CallProblem:
    """A problem found by following calls, located in the document it is reported on."""

    facts: CallFacts
    json_path: str
    line: int
    column: int
    rule: str
    message: str


class _Resolver:
    """templateRef resolution with the same namespace rules as :func:`wfsync.lint.index.cross_check`."""

    def __init__(self, documents: Iterable[CallFacts]) -> None:
        self.namespaced: dict[str, list[CallFacts]] = defaultdict(list)
        self.cluster: dict[str, CallFacts] = {}
        seen: set[tuple[str, int, str, str, str]] = set()
        for facts in documents:
            ident = (facts.path, facts.line, facts.kind, facts.namespace, facts.name)
            if ident in seen:
                continue
            seen.add(ident)
            if facts.kind == "WorkflowTemplate":
                self.namespaced[facts.name].append(facts)
            elif facts.kind == "ClusterWorkflowTemplate":
                self.cluster.setdefault(facts.name, facts)

    def holder(self, caller: CallFacts, name: str, cluster_scope: bool) -> CallFacts | None:
        if cluster_scope:
            return self.cluster.get(name)
        for facts in self.namespaced.get(name, []):
            if not facts.namespace or not caller.namespace or facts.namespace == caller.namespace:
                return facts
        return None


def check_calls(checked: Sequence[CallFacts], context: Iterable[CallFacts] = ()) -> Iterator[CallProblem]:
    """Arguments no input takes, and volumes mounted but not declared, across documents."""
    resolver = _Resolver([*checked, *context])
    for facts in checked:
        yield from _argument_problems(facts, resolver)
        if facts.submittable:
            yield from _volume_problems(facts, resolver)


def _problem(facts: CallFacts, json_path: str, rule: str, message: str) -> CallProblem:
    line, column = facts.positions.get(json_path, (facts.line, 1))
    return CallProblem(facts, json_path, line, column, rule, message)


def _argument_problems(facts: CallFacts, resolver: _Resolver) -> Iterator[CallProblem]:
    calls = [*facts.root_refs, *(ref for t in facts.templates.values() for ref in t.refs)]
    for ref in calls:
        holder = resolver.holder(facts, ref.name, ref.cluster_scope)
        callee = holder.templates.get(ref.template) if holder is not None else None
        if callee is None:
            continue  # templateref-not-found says why
        label = f"{ref.name}.{ref.template}"
        for what, supplied, inputs in (
            ("parameter", ref.parameters, callee.parameters),
            ("artifact", ref.artifacts, callee.artifacts),
        ):
            for name, json_path in supplied:
                if inputs and name not in inputs:
                    yield _problem(
                        facts,
                        json_path,
                        "argument-unknown",
                        f"{ref.what} passes {what} {name!r} to {label}, which has no input {what} "
                        f"{name!r}{did_you_mean(name, inputs)}",
                    )


_Node = tuple[CallFacts, str, str]
"""A template to visit: its document, its name, and where to report (a call site in the root)."""


def _volume_problems(root: CallFacts, resolver: _Resolver) -> Iterator[CallProblem]:
    """Mounts of templates reached from ``root`` that its volumes do not declare."""
    base, declared, start, site = root, set(root.volumes), list(root.roots), ""
    root_refs = list(root.root_refs)
    if root.workflow_ref is not None:
        held = resolver.holder(root, *root.workflow_ref)
        if held is None:
            return
        base, declared = held, declared | set(held.volumes)
        site = format_json_path(("spec", "workflowTemplateRef"))
        site = next((p for p in root.positions if p.endswith("workflowTemplateRef")), site)
        entry = root.entrypoint or held.entrypoint
        start = ([entry] if entry else []) + [name for name in held.roots if name != held.entrypoint]
        root_refs = [dataclasses.replace(r, json_path=site) for r in held.root_refs]
        if held.patched:
            return
    if root.patched:
        return
    origin = "" if base is root else site
    queue: deque[_Node] = deque((base, name, origin) for name in start)
    for ref in root_refs:
        holder = resolver.holder(base, ref.name, ref.cluster_scope)
        if holder is not None:
            queue.append((holder, ref.template, ref.json_path))
    seen: set[tuple[int, str]] = set()
    reported: set[tuple[str, str]] = set()
    while queue:
        facts, name, site = queue.popleft()
        if (id(facts), name) in seen:
            continue
        seen.add((id(facts), name))
        template = facts.templates.get(name)
        if template is None:
            continue
        if not template.patched:
            for volume, mount_path in template.mounts:
                if (
                    volume in declared
                    or volume in template.volumes
                    or (site or mount_path, volume) in reported
                ):
                    continue
                reported.add((site or mount_path, volume))
                yield _volume_problem(root, facts, name, volume, site or mount_path, declared)
        queue.extend((facts, callee, site) for callee in template.local)
        for ref in template.refs:
            holder = resolver.holder(facts, ref.name, ref.cluster_scope)
            if holder is not None:
                queue.append((holder, ref.template, site or ref.json_path))


def _volume_problem(
    root: CallFacts, facts: CallFacts, template: str, volume: str, site: str, declared: set[str]
) -> CallProblem:
    if facts is root:
        where = f"template {template!r} mounts volume {volume!r}"
    else:
        where = f"calls template {template!r} of {facts.kind} {facts.name!r} ({facts.path}:{facts.line}), which mounts volume {volume!r}"
        at = next(_calls_at(root, site), "workflowTemplateRef")
        where = f"{at} {where}"
    return _problem(
        root,
        site,
        "volume-undeclared",
        f"{where}, but this {root.kind} declares no such volume in spec.volumes or "
        f"spec.volumeClaimTemplates (Argo fails the pod at run time){did_you_mean(volume, declared)}",
    )


def _calls_at(root: CallFacts, site: str) -> Iterator[str]:
    """How the call at ``site`` is named (``step 'build'``)."""
    for ref in root.root_refs:
        if ref.json_path == site:
            yield ref.what
    for template in root.templates.values():
        for ref in template.refs:
            if ref.json_path == site:
                yield ref.what

"""Checks that follow calls across documents: unknown arguments, undeclared volumes.

A library template that mounts ``workspace`` is fine on its own: the Workflow that calls it must
declare the volume (``spec.volumes`` or ``spec.volumeClaimTemplates``), or Argo fails the pod at
run time. :func:`check_calls` follows the calls from each submittable document's entrypoint,
across files, through ``templateRef``; it reports at the document that is submitted, naming the
template that mounts the volume, and reports arguments that match no input of a templateRef'd
template.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence

from wfsync.lint.rules.call_facts import CallFacts, Identity
from wfsync.lint.rules.suggest import did_you_mean
from wfsync.model.findings import format_json_path


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
        seen: set[Identity] = set()
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
        if facts.refers:
            yield from _argument_problems(facts, resolver)
        if facts.submittable and (facts.refers or facts.mounts or facts.workflow_ref is not None):
            yield from _volume_problems(facts, resolver)  # else: nothing it reaches mounts a volume


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

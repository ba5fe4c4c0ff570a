"""What documents say about each other: template definitions and references across files.

A :class:`DocumentSummary` is the small, cacheable digest of one document that cross-document
checks need. :func:`cross_check` resolves every ``templateRef`` and ``workflowTemplateRef`` against
the summaries of everything linted (and the library, as context) and reports duplicates.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from wfsync.lint.rules.parts import Fields, required_inputs, workflow_spec
from wfsync.lint.rules.suggest import did_you_mean
from wfsync.model.channels import OLDER_MAJOR, published_channel
from wfsync.model.findings import JsonPath
from wfsync.model.kinds import TEMPLATE_HOLDER_KINDS, Kind
from wfsync.model.resolve import namespace_matches
from wfsync.model.walk import CallerKind, callers

Site = tuple[JsonPath, Mapping[str, Any], str]
"""A step, task or hook that could hold a templateRef: its path, its mapping and how to name it."""
LineOf = Callable[[JsonPath], int]


@dataclasses.dataclass(frozen=True)
class Reference:
    """A ``templateRef`` (``template`` set) or a ``workflowTemplateRef`` (``template`` empty)."""

    json_path: JsonPath
    line: int
    name: str
    template: str
    cluster_scope: bool
    supplied: tuple[str, ...]
    what: str
    name_line: int = 0
    template_line: int = 0
    scope_line: int = 0
    caller_line: int = 0
    supplied_artifacts: tuple[str, ...] = ()
    """The input artifacts the caller passes (``supplied`` holds its parameters)."""


@dataclasses.dataclass(frozen=True)
class DocumentSummary:
    """Identity, definitions and outgoing references of one document."""

    path: str
    line: int
    kind: str
    namespace: str
    name: str
    defines: Mapping[str, tuple[str, ...]]
    """Template name to the input parameters a caller must supply (WFT/CWFT only)."""
    refs: tuple[Reference, ...] = ()
    channel: str = ""
    """``<name>-v<major>`` when the template is also published on its major channel (``wfsync.io/publish-major``)."""

    def to_json(self, path: str = "") -> list[object]:
        """Positional plain data for the lint cache; the path is left out when it is ``path``."""
        return [
            "" if self.path == path else self.path,
            self.line,
            self.kind,
            self.namespace,
            self.name,
            self.defines,
            [_reference_json(ref) for ref in self.refs],
            self.channel,
        ]

    @classmethod
    def from_json(cls, data: Sequence[Any], path: str = "") -> DocumentSummary:
        """Inverse of :meth:`to_json` (``path`` as given to it)."""
        own, line, kind, namespace, name, defines, refs, channel = data
        return cls(
            own or path,
            line,
            kind,
            namespace,
            name,
            {k: tuple(v) for k, v in defines.items()},
            tuple(_reference_from_json(r) for r in refs),
            channel,
        )


def _reference_json(ref: Reference) -> list[object]:
    return [getattr(ref, f.name) for f in _REFERENCE_FIELDS]


def _reference_from_json(data: Sequence[Any]) -> Reference:
    fields = dict(zip((f.name for f in _REFERENCE_FIELDS), data, strict=True))
    return Reference(
        **{
            **fields,
            "json_path": tuple(fields["json_path"]),
            "supplied": tuple(fields["supplied"]),
            "supplied_artifacts": tuple(fields["supplied_artifacts"]),
        }
    )


_REFERENCE_FIELDS = dataclasses.fields(Reference)


def summarize(
    body: Fields,
    kind: str,
    path: str,
    line: int,
    line_of: LineOf,
    namespace: str,
    name: str,
    *,
    sites: Iterable[Site] | None = None,
) -> DocumentSummary:
    """Digest a document; ``line_of(json_path)`` gives the line of a reference.

    ``sites`` are the document's callers when the caller has walked them already (one walk
    serves this summary and lint's call facts).
    """
    spec, spec_path = workflow_spec(body, kind)
    defines: dict[str, tuple[str, ...]] = {}
    refs: list[Reference] = []
    if spec is not None:
        templates = spec.get("templates")
        if kind in TEMPLATE_HOLDER_KINDS and isinstance(templates, list):
            for template in templates:
                if isinstance(template, dict) and isinstance(template.get("name"), str):
                    defines.setdefault(template["name"], tuple(required_inputs(template)))
        wft = spec.get("workflowTemplateRef")
        if isinstance(wft, dict) and isinstance(wft.get("name"), str):
            jp = (*spec_path, "workflowTemplateRef")
            refs.append(
                Reference(
                    jp, line_of(jp), wft["name"], "", bool(wft.get("clusterScope")), (), "workflowTemplateRef"
                )
            )
        for jp, item, what in _callers(spec, spec_path) if sites is None else sites:
            reference = _template_reference(jp, item, what, line_of)
            if reference is not None:
                refs.append(reference)
    return DocumentSummary(
        path, line, kind, namespace, name, defines, tuple(refs), _channel(body, kind, name)
    )


def _supplied(args: object, what: str) -> tuple[str, ...]:
    items = args.get(what) if isinstance(args, dict) else None
    return tuple(i["name"] for i in items or () if isinstance(i, dict) and isinstance(i.get("name"), str))


def _template_reference(jp: JsonPath, item: Fields, what: str, line_of: LineOf) -> Reference | None:
    """The templateRef of a step, task or hook, unless it is missing or templated."""
    ref = item.get("templateRef")
    if not isinstance(ref, dict):
        return None
    ref_name, ref_template = ref.get("name"), ref.get("template")
    if not isinstance(ref_name, str) or not isinstance(ref_template, str):
        return None
    if "{{" in ref_name or "{{" in ref_template:
        return None
    args = item.get("arguments")
    rp = (*jp, "templateRef")
    return Reference(
        rp,
        line_of(rp),
        ref_name,
        ref_template,
        bool(ref.get("clusterScope")),
        _supplied(args, "parameters"),
        what,
        line_of((*rp, "name")),
        line_of((*rp, "template")),
        line_of((*rp, "clusterScope")) if "clusterScope" in ref else 0,
        line_of(jp),
        _supplied(args, "artifacts"),
    )


def _channel(body: Fields, kind: str, name: str) -> str:
    """``<name>-v<major>`` for a library template published on its major channel, else ''."""
    if kind not in (Kind.WORKFLOW_TEMPLATE, Kind.CLUSTER_WORKFLOW_TEMPLATE):
        return ""
    return published_channel(body, name)


def _callers(spec: Fields, spec_path: JsonPath) -> Iterator[Site]:
    """Every step, task and hook of a spec that could hold a templateRef (inline templates included).

    The model's walker; exit handlers (``onExit: NAME``) are left out, they name local templates only.
    """
    for caller in callers(spec, spec_path):
        if caller.kind is not CallerKind.EXIT:
            yield caller.path, caller.node, caller.what


@dataclasses.dataclass(frozen=True)
class CrossProblem:
    """A problem found across documents, located in the summary it belongs to."""

    summary: DocumentSummary
    json_path: JsonPath
    line: int
    rule: str
    message: str


def cross_check(
    checked: Sequence[DocumentSummary], context: Iterable[DocumentSummary] = ()
) -> Iterator[CrossProblem]:
    """Duplicates among ``checked``; references of ``checked`` resolved against both sets."""
    by_identity: dict[tuple[str, str, str], DocumentSummary] = {}
    for summary in checked:
        if not summary.name:
            continue
        key = (summary.kind, summary.namespace, summary.name)
        first = by_identity.get(key)
        if first is not None:
            where = f"{first.path}:{first.line}"
            yield CrossProblem(
                summary,
                ("metadata", "name"),
                summary.line,
                "duplicate-identity",
                f"{summary.kind} {summary.name!r} is also defined at {where}",
            )
        else:
            by_identity[key] = summary
    namespaced: dict[str, list[DocumentSummary]] = defaultdict(list)
    cluster: dict[str, DocumentSummary] = {}
    published: set[tuple[str, str]] = set()
    seen_ids: set[tuple[str, str, str, str]] = set()
    for summary in [*checked, *context]:
        ident = (summary.path, summary.kind, summary.namespace, summary.name)
        if ident in seen_ids:
            continue
        seen_ids.add(ident)
        names = [summary.name, summary.channel] if summary.channel else [summary.name]
        for name in names:  # a published major resolves to the template itself
            if summary.kind == Kind.WORKFLOW_TEMPLATE:
                namespaced[name].append(summary)
            elif summary.kind == Kind.CLUSTER_WORKFLOW_TEMPLATE:
                cluster.setdefault(name, summary)
        if summary.channel:
            published.add((summary.kind, summary.name))
    for summary in checked:
        for ref in summary.refs:
            yield from _resolve(summary, ref, namespaced, cluster, published)


def _resolve(
    summary: DocumentSummary,
    ref: Reference,
    namespaced: Mapping[str, list[DocumentSummary]],
    cluster: Mapping[str, DocumentSummary],
    published: Collection[tuple[str, str]] = (),
) -> Iterator[CrossProblem]:
    kind = Kind.CLUSTER_WORKFLOW_TEMPLATE if ref.cluster_scope else Kind.WORKFLOW_TEMPLATE
    if ref.cluster_scope:
        holder = cluster.get(ref.name)
    else:
        candidates = [
            s for s in namespaced.get(ref.name, []) if namespace_matches(s.namespace, summary.namespace)
        ]
        holder = candidates[0] if candidates else None
    label = f"{ref.name}.{ref.template}" if ref.template else ref.name
    if holder is None:
        yield from _unresolved(summary, ref, namespaced, cluster, published)
        return
    if not ref.template:
        return
    required = holder.defines.get(ref.template)
    if required is None:
        yield _problem(
            summary,
            ref,
            "templateref-not-found",
            f"{ref.what}: template reference {label} not found ({kind} {ref.name!r} at {holder.path}:{holder.line} "
            f"has no template {ref.template!r}){did_you_mean(ref.template, holder.defines)}",
            "template",
        )
        return
    for missing in required:
        if missing not in ref.supplied:
            yield _problem(
                summary,
                ref,
                "input-not-supplied",
                f"{ref.what} calls {label} without its required input parameter {missing!r}",
                "caller",
            )


def _unresolved(
    summary: DocumentSummary,
    ref: Reference,
    namespaced: Mapping[str, list[DocumentSummary]],
    cluster: Mapping[str, DocumentSummary],
    published: Collection[tuple[str, str]],
) -> Iterator[CrossProblem]:
    """A reference to no template of its scope: the other scope's, an older major, or nothing."""
    kind = Kind.CLUSTER_WORKFLOW_TEMPLATE if ref.cluster_scope else Kind.WORKFLOW_TEMPLATE
    other = bool(namespaced.get(ref.name)) if ref.cluster_scope else ref.name in cluster
    label = f"{ref.name}.{ref.template}" if ref.template else ref.name
    older = OLDER_MAJOR.match(ref.name)
    if older and (kind.value, older.group(1)) in published:
        return  # an older major channel: push keeps it in the cluster while callers use it
    if other:
        hint = "set clusterScope: true" if not ref.cluster_scope else "drop clusterScope: true"
        found = Kind.CLUSTER_WORKFLOW_TEMPLATE if not ref.cluster_scope else Kind.WORKFLOW_TEMPLATE
        yield _problem(
            summary,
            ref,
            "templateref-scope",
            f"{ref.what}: {label} resolves to a {found}, but clusterScope says {kind} ({hint})",
            "clusterScope" if ref.scope_line else "name",
        )
    else:
        yield _problem(
            summary,
            ref,
            "templateref-not-found",
            f"{ref.what}: {kind} {ref.name!r} not found (template reference {label})"
            + did_you_mean(ref.name, cluster if ref.cluster_scope else namespaced),
            "name",
        )


def _problem(summary: DocumentSummary, ref: Reference, rule: str, message: str, field: str) -> CrossProblem:
    """A problem at the reference's ``field`` (``caller``: the step or task) when its line is known."""
    if field == "caller":
        return CrossProblem(summary, ref.json_path[:-1], ref.caller_line or ref.line, rule, message)
    line = {"name": ref.name_line, "template": ref.template_line, "clusterScope": ref.scope_line}.get(
        field, 0
    )
    path = (*ref.json_path, field) if line else ref.json_path
    return CrossProblem(summary, path, line or ref.line, rule, message)


__all__ = ["CrossProblem", "DocumentSummary", "Reference", "cross_check", "summarize"]

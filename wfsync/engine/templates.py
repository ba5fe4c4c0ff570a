"""Template resolution: local templates, ``templateRef`` and ``workflowTemplateRef``.

A :class:`Store` holds the WorkflowTemplates, ClusterWorkflowTemplates and ConfigMaps a run may
use (from ``--with`` paths, the library and the file being run). A :class:`Context` is the
template holder a name is looked up in; ``templateRef`` switches it, as
``templateresolution.WithTemplateHolder`` does.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any

from wfsync.errors import ExitCode, WfsyncError
from wfsync.model.channels import published_channel
from wfsync.model.kinds import Kind
from wfsync.model.resolve import ref_target

WORKFLOW_TEMPLATE = Kind.WORKFLOW_TEMPLATE
CLUSTER_WORKFLOW_TEMPLATE = Kind.CLUSTER_WORKFLOW_TEMPLATE
TEMPLATE_TYPES = (
    "container",
    "script",
    "steps",
    "dag",
    "suspend",
    "resource",
    "http",
    "plugin",
    "containerSet",
    "data",
)


class ResolveError(WfsyncError):
    """A template reference that cannot be resolved (the node becomes Error)."""

    exit_code = ExitCode.FINDINGS


def template_type(tmpl: Mapping[str, object]) -> str:
    """Which kind of template this is ('' when none of Argo's types is set)."""
    for kind in TEMPLATE_TYPES:
        if tmpl.get(kind) is not None:
            return kind
    return ""


@dataclasses.dataclass
class Store:
    """Documents a run can refer to, by kind and name."""

    workflow_templates: dict[str, dict[str, object]] = dataclasses.field(default_factory=dict)
    cluster_workflow_templates: dict[str, dict[str, object]] = dataclasses.field(default_factory=dict)
    config_maps: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    secrets: dict[str, dict[str, object]] = dataclasses.field(default_factory=dict)
    hint: str = "give the file with --with, or put it in the library"
    """What to do about a missing template, for the error (depends on where templates came from)."""

    def add(self, body: Mapping[str, Any]) -> bool:
        """Remember a document if it is of a kind runs refer to; later documents win."""
        kind = body.get("kind")
        name = (body.get("metadata") or {}).get("name")
        if not isinstance(name, str) or not name:
            return False
        table = {
            WORKFLOW_TEMPLATE: self.workflow_templates,
            CLUSTER_WORKFLOW_TEMPLATE: self.cluster_workflow_templates,
            "ConfigMap": self.config_maps,
            "Secret": self.secrets,
        }.get(str(kind))
        if table is None:
            return False
        table[name] = dict(body)
        if table is not self.config_maps and table is not self.secrets:
            channel = published_channel(body, name)  # `<name>-v<major>`, as push publishes it
            if channel:
                table.setdefault(channel, table[name])
        return True

    def holder(self, name: str, cluster_scope: bool) -> dict[str, Any]:
        """The WorkflowTemplate (or ClusterWorkflowTemplate) called ``name``."""
        table = self.cluster_workflow_templates if cluster_scope else self.workflow_templates
        kind = CLUSTER_WORKFLOW_TEMPLATE if cluster_scope else WORKFLOW_TEMPLATE
        body = table.get(name)
        if body is None:
            raise ResolveError(f'{kind.lower()}s.argoproj.io "{name}" not found ({self.hint})')
        return body

    def config_map_value(self, name: str, key: str) -> str | None:
        """``data[key]`` of a ConfigMap, or None when the map or key is missing."""
        body = self.config_maps.get(name)
        if body is None:
            return None
        value = (body.get("data") or {}).get(key)
        return None if value is None else str(value)


@dataclasses.dataclass(frozen=True)
class Context:
    """Where template names are looked up: the workflow or a (cluster) workflow template."""

    kind: str
    name: str
    templates: Mapping[str, Mapping[str, object]]

    @property
    def scope(self) -> str:
        """``templateScope`` of nodes resolved here (``local/<wf>``, ``namespaced/<wft>``, ...)."""
        if self.kind == WORKFLOW_TEMPLATE:
            return f"namespaced/{self.name}"
        if self.kind == CLUSTER_WORKFLOW_TEMPLATE:
            return f"cluster/{self.name}"
        return f"local/{self.name}"


def context_for(body: Mapping[str, Any], kind: str | None = None) -> Context:
    """The resolution context of a workflow or template document."""
    spec = body.get("spec") or {}
    templates: dict[str, Mapping[str, object]] = {
        str(t.get("name")): t for t in spec.get("templates") or [] if isinstance(t, dict)
    }
    name = (body.get("metadata") or {}).get("name", "")
    return Context(kind or str(body.get("kind", Kind.WORKFLOW)), name, templates)


@dataclasses.dataclass(frozen=True)
class Resolved:
    """A resolved template (a private copy) and the context its own references resolve in."""

    template: dict[str, Any]
    context: Context
    template_ref: dict[str, object] | None = None


class Resolver:
    """Resolves what a step, task or hook names into a template; caches holder contexts."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._contexts: dict[tuple[str, bool], Context] = {}

    def resolve(self, holder: Mapping[str, object], ctx: Context) -> Resolved:
        """Follow ``template``, ``templateRef`` or ``inline`` of a step, task or hook."""
        inline = holder.get("inline")
        if isinstance(inline, dict):
            return Resolved(copy.deepcopy(inline), ctx)
        ref = holder.get("templateRef")
        if isinstance(ref, dict):
            # The model's rule: clusterScope names a ClusterWorkflowTemplate, else a WorkflowTemplate
            # in the workflow's namespace; a local run holds one namespace, so the name decides.
            points_at = ref_target(ref, "")
            cluster = points_at.cluster_scope if points_at is not None else ref.get("clusterScope") is True
            key = (points_at.name if points_at is not None else str(ref.get("name", "")), cluster)
            target = self._contexts.get(key)
            if target is None:
                kind = CLUSTER_WORKFLOW_TEMPLATE if cluster else WORKFLOW_TEMPLATE
                target = context_for(self.store.holder(key[0], cluster), kind)
                self._contexts[key] = target
            name = str(ref.get("template", ""))
            tmpl = target.templates.get(name)
            if tmpl is None:
                raise ResolveError(f"template {name} not found in {target.kind.lower()} {target.name}")
            return Resolved(copy.deepcopy(dict(tmpl)), target, dict(ref))
        local = holder.get("template")
        if not isinstance(local, str) or not local:
            raise ResolveError("step or task names no template (template, templateRef or inline)")
        found = ctx.templates.get(local)
        if found is None:
            raise ResolveError(f"template {local} not found")
        return Resolved(copy.deepcopy(dict(found)), ctx)


def merge_by_name(high: list[object], low: list[object], *, param_values: bool = False) -> list[object]:
    """Merge two lists of named objects; ``high`` wins (for parameters: only when it has a value)."""
    out: list[object] = []
    seen: dict[str, int] = {}
    for item in low:
        if isinstance(item, dict) and "name" in item:
            seen[item["name"]] = len(out)
        out.append(copy.deepcopy(item))
    for item in high:
        if isinstance(item, dict) and item.get("name") in seen:
            index = seen[item["name"]]
            has_value = "value" in item or "valueFrom" in item
            if not param_values or has_value:
                out[index] = copy.deepcopy(item)
        else:
            out.append(copy.deepcopy(item))
    return out


def join_workflow_spec(wf_spec: Mapping[str, object], wft_spec: Mapping[str, object]) -> dict[str, object]:
    """``JoinWorkflowSpec``: the Workflow's spec over the WorkflowTemplate's, lists merged by name."""
    merged: dict[str, Any] = copy.deepcopy(dict(wft_spec))
    for key, value in wf_spec.items():
        if key == "workflowTemplateRef":
            continue
        if key == "templates" and isinstance(value, list):
            merged["templates"] = merge_by_name(value, merged.get("templates") or [])
        elif key == "arguments" and isinstance(value, dict):
            low = merged.get("arguments") or {}
            args: dict[str, object] = dict(copy.deepcopy(low))
            for sub in ("parameters", "artifacts"):
                if sub in value:
                    args[sub] = merge_by_name(
                        value[sub] or [], low.get(sub) or [], param_values=sub == "parameters"
                    )
            merged["arguments"] = args
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **copy.deepcopy(value)}
        else:
            merged[key] = copy.deepcopy(value)
    if "suspend" in wft_spec and "suspend" not in wf_spec:
        merged.pop("suspend", None)
    return merged


def merge_template_defaults(defaults: object, tmpl: dict[str, object]) -> dict[str, object]:
    """``mergedTemplateDefaultsInto``: ``spec.templateDefaults`` under a template, as Argo merges it.

    The merged template keeps only its own type's field (``SetType``): a ``container`` default
    fills in container templates and never turns a steps or DAG template into a pod.
    """
    if not isinstance(defaults, dict) or not defaults:
        return tmpl
    kind = template_type(tmpl)
    merged = _deep_merge(copy.deepcopy(defaults), tmpl)
    if kind:
        for other in TEMPLATE_TYPES:
            if other != kind:
                merged.pop(other, None)
    return merged


_MERGE_KEYS = {"env": "name", "volumeMounts": "mountPath", "ports": "containerPort", "envFrom": ""}
"""Container lists that a strategic merge patch merges by key (``patchMergeKey``), not replaces."""


def _deep_merge(
    base: dict[str, Any], top: Mapping[str, object], *, container: bool = False
) -> dict[str, Any]:
    """``StrategicMergePatch(defaults, template)``: maps merged, container lists merged by key."""
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            inner = key in ("container", "script")
            base[key] = _deep_merge(base[key], value, container=inner)
        elif (
            container and _MERGE_KEYS.get(key) and isinstance(value, list) and isinstance(base.get(key), list)
        ):
            base[key] = merge_by_key(value, base[key], _MERGE_KEYS[key])
        else:
            base[key] = copy.deepcopy(value)
    return base


def merge_by_key(high: list[object], low: list[object], key: str) -> list[object]:
    """``low`` with each item of ``high`` replacing the one with the same ``key`` (else appended)."""
    out = [copy.deepcopy(item) for item in low]
    index = {item.get(key): i for i, item in enumerate(out) if isinstance(item, dict)}
    for item in high:
        if isinstance(item, dict) and item.get(key) in index:
            out[index[item[key]]] = copy.deepcopy(item)
        else:
            out.append(copy.deepcopy(item))
    return out

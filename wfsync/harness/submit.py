"""The Workflow ``wfsync submit`` sends: read from a file or made from a template, options applied, linted.

Everything here happens before any request, so invalid input is refused (exit 2) with nothing
created. The server still has the last word on validity; its reason is reported as it gives it.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
from collections.abc import Sequence
from pathlib import Path

from wfsync import safepath
from wfsync.cluster.api import Obj
from wfsync.errors import InputError, UsageError
from wfsync.model import values
from wfsync.model.documents import API_VERSION, Kind
from wfsync.model.submit import apply_submit_options

FROM_KINDS = {
    "workflowtemplate": Kind.WORKFLOW_TEMPLATE.value,
    "workflowtemplates": Kind.WORKFLOW_TEMPLATE.value,
    "wftmpl": Kind.WORKFLOW_TEMPLATE.value,
    "clusterworkflowtemplate": Kind.CLUSTER_WORKFLOW_TEMPLATE.value,
    "clusterworkflowtemplates": Kind.CLUSTER_WORKFLOW_TEMPLATE.value,
    "cwftmpl": Kind.CLUSTER_WORKFLOW_TEMPLATE.value,
    "cwf": Kind.CLUSTER_WORKFLOW_TEMPLATE.value,
}
"""``--from`` kinds as ``argo submit --from`` spells them (case-insensitive)."""


@dataclasses.dataclass(frozen=True)
class Prepared:
    """The Workflow to create and where it came from (a file, or ``--from KIND/NAME``)."""

    workflow: Obj
    source: str


def from_reference(spec: str) -> Obj:
    """``--from KIND/NAME``: a Workflow that runs the template through ``workflowTemplateRef``."""
    kind_text, sep, name = spec.partition("/")
    kind = FROM_KINDS.get(kind_text.strip().lower())
    if not sep or kind is None or not name:
        known = "workflowtemplate/NAME or clusterworkflowtemplate/NAME"
        raise UsageError(f"--from expects KIND/NAME ({known}), got {spec!r}")
    safepath.check_name(name, what="--from name")
    ref: dict[str, object] = {"name": name}
    if kind == Kind.CLUSTER_WORKFLOW_TEMPLATE.value:
        ref["clusterScope"] = True
    return {
        "apiVersion": API_VERSION,
        "kind": "Workflow",
        "metadata": {"generateName": f"{name}-"},
        "spec": {"workflowTemplateRef": ref},
    }


def read_workflow(path: Path) -> Obj:
    """The first Workflow in ``path`` (a template file becomes a Workflow referring to it); linted.

    Lint errors of the file are input errors (exit 2), the first one named with its line, so
    nothing invalid reaches the server.
    """
    from wfsync.engine.run import as_workflow, select_runnable
    from wfsync.library.discover import read_file
    from wfsync.lint.linter import lint_document
    from wfsync.model.findings import Severity

    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    read = read_file(path)
    if read.problem is not None:
        raise InputError(read.problem.message, path=path, line=read.problem.line)
    bodies = [dict(doc.body) for doc in read.documents]
    body = select_runnable(bodies, path)
    doc = read.documents[bodies.index(body)]
    errors = [f for f in lint_document(doc, in_library=False)[0] if f.severity is Severity.ERROR]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more: run 'wfsync lint {path}')" if len(errors) > 1 else ""
        raise InputError(f"{first.rule}: {first.message}{more}", path=path, line=first.line)
    return as_workflow(body)


def apply_options(
    workflow: Obj,
    *,
    namespace: str,
    parameters: Sequence[tuple[str, str]] = (),
    entrypoint: str | None = None,
) -> Obj:
    """A copy of ``workflow`` with the submit options applied, as ``argo submit`` applies them.

    ``-p`` replaces a declared argument's value (or adds it), ``--entrypoint`` replaces the
    entrypoint, and the workflow goes to ``namespace`` (the transport's). Names are checked so
    that they cannot leave the namespace's URL path; a missing entrypoint is refused here when the
    workflow carries its templates (with a ``workflowTemplateRef`` the server resolves it).
    """
    wf = copy.deepcopy(workflow)
    spec: dict[str, object] = wf.setdefault("spec", {})
    meta: dict[str, object] = wf.setdefault("metadata", {})
    wf.pop("status", None)
    for key in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
        meta.pop(key, None)
    apply_submit_options(spec, parameters, entrypoint)
    if meta.get("name"):
        safepath.check_name(str(meta["name"]))
    elif meta.get("generateName"):
        safepath.check_name(str(meta["generateName"]).rstrip("-") or "x", what="metadata.generateName")
    else:
        meta["generateName"] = "workflow-"
    meta["namespace"] = safepath.check_namespace(namespace)
    _check_entrypoint(spec)
    return wf


def _check_entrypoint(spec: dict[str, object]) -> None:
    if isinstance(spec.get("workflowTemplateRef"), dict):
        return
    names = [str(t.get("name")) for t in values.items(spec.get("templates"))]
    entry = spec.get("entrypoint")
    if not entry:
        raise UsageError("the workflow has no entrypoint: give one with --entrypoint")
    if str(entry) not in names:
        close = difflib.get_close_matches(str(entry), names, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (templates: {', '.join(names) or 'none'})"
        raise UsageError(f"entrypoint {entry!r} is not a template of the workflow{hint}")


def workflow_name(workflow: Obj) -> str:
    """The created workflow's name."""
    return str((workflow.get("metadata") or {}).get("name") or "")


def resource_version(workflow: Obj) -> str:
    """The object's ``metadata.resourceVersion`` ('' when absent)."""
    return str((workflow.get("metadata") or {}).get("resourceVersion") or "")

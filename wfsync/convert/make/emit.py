"""The Argo document for a converted Makefile: a DAG of ``make/recipe`` calls after a checkout.

The workflow reads like one written by hand: the repository is checked out into the shared
``workspace`` volume (``git-checkout``), then each target that make ran is one task calling the
library's ``make`` template with its expanded recipe, in ``depends`` order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# commands.convert_make takes the layout from here: the same as the GitHub Actions converter's
from wfsync.convert.make.graph import Graph, Task
from wfsync.model.spec_types import DAGTask, Parameter, Template, WorkflowSpec

BRACE_ESCAPE = "{{='{{'}}"
"""How a literal ``{{`` is written in a parameter Argo substitutes."""
DEFAULT_IMAGE = "buildpack-deps:bookworm"
CHECKOUT = "checkout"
PARSE = ".PARSE"
"""The target of the task that replays what make does when it reads the Makefile."""


@dataclass(frozen=True)
class EmitOptions:
    """How the document is shaped (from the command line)."""

    name: str
    source: str
    goals: Sequence[str] = ()
    image: str = DEFAULT_IMAGE
    template: bool = False
    parallelism: int | None = None
    variables: Sequence[tuple[str, str]] = ()
    """Command-line make variables: parameters of a WorkflowTemplate (``--template``)."""
    ignore_errors: bool = False
    serial: bool = False
    delete_on_error: frozenset[str] = frozenset()
    """Targets whose file a failing recipe deletes (``.DELETE_ON_ERROR``, not phony or precious)."""


def escape(text: str) -> str:
    """``text`` as a parameter value Argo gives back unchanged."""
    return text.replace("{{", BRACE_ESCAPE)


def parameter_name(variable: str) -> str:
    """A make variable as an Argo parameter name."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", variable).strip("-") or "var"


def build_document(graph: Graph, options: EmitOptions) -> dict[str, Any]:
    """The Workflow (or WorkflowTemplate) as plain data."""
    parameters, substitutions = _parameters(options)
    spec: WorkflowSpec = {"entrypoint": "main"}
    if options.parallelism:
        spec["parallelism"] = options.parallelism
    spec["arguments"] = {"parameters": parameters}
    spec["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "workspace"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    ]
    checkout: DAGTask = {
        "name": CHECKOUT,
        "templateRef": {"name": "git-checkout", "template": "checkout", "clusterScope": True},
        "arguments": {
            "parameters": [
                {"name": "repo", "value": "{{workflow.parameters.repo}}"},
                {"name": "revision", "value": "{{workflow.parameters.revision}}"},
            ]
        },
    }
    tasks = [checkout, *(_task(task, graph, options, substitutions) for task in graph.tasks)]
    templates: list[Template] = [{"name": "main", "dag": {"tasks": tasks}}]
    for task in graph.tasks:
        if task.nested is not None:  # the sub-make's DAG, run by the parent's task
            inner = [_task(t, task.nested, options, substitutions, root=None) for t in task.nested.tasks]
            templates.append({"name": _nested_name(task), "dag": {"tasks": inner}})
    spec["templates"] = templates
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate" if options.template else "Workflow",
        "metadata": _metadata(graph, options),
        "spec": spec,
    }


def _metadata(graph: Graph, options: EmitOptions) -> dict[str, object]:
    """Name, the wfsync label, and annotations: description, source, task -> make target."""
    goals = " ".join(options.goals) or "the default goal"
    mapping = {t.name: t.target for t in graph.tasks}
    naming = (
        {"name": f"{options.name}-make"} if options.template else {"generateName": f"{options.name}-make-"}
    )
    return {
        **naming,
        "labels": {"app.kubernetes.io/managed-by": "wfsync"},
        "annotations": {
            "workflows.argoproj.io/description": f"Converted from {options.source} ({goals}) by wfsync convert make.",
            "wfsync.io/source": options.source,
            "wfsync.io/make-targets": json.dumps(mapping, ensure_ascii=False, sort_keys=False),
        },
    }


def _parameters(options: EmitOptions) -> tuple[list[Parameter], list[tuple[str, str]]]:
    """The workflow's parameters, and (value, reference) pairs for command-line variables (``--template``)."""
    parameters: list[Parameter] = [
        {"name": "repo", "value": "https://github.com/OWNER/REPO.git"},
        {"name": "revision", "value": ""},
        {"name": "image", "value": options.image},
    ]
    substitutions: list[tuple[str, str]] = []
    if options.template:
        for variable, value in options.variables:
            name = parameter_name(variable)
            parameters.append({"name": name, "value": value})
            if len(value) >= 2:
                substitutions.append((value, f"{{{{workflow.parameters.{name}}}}}"))
    return parameters, substitutions


def _task(
    task: Task,
    graph: Graph,
    options: EmitOptions,
    substitutions: list[tuple[str, str]],
    root: str | None = CHECKOUT,
) -> DAGTask:
    def value(text: str) -> str:
        text = escape(text)
        for literal, reference in substitutions:
            text = re.sub(rf"(?<![\w.-]){re.escape(literal)}(?![\w.-])", reference, text)
        return text

    params: list[Parameter] = [{"name": "target", "value": escape(task.target)}]
    if task.lines:
        params.append({"name": "recipe", "value": value(task.recipe())})
    if task.directory != ".":
        params.append({"name": "directory", "value": escape(task.directory)})
    own_shell = task.target != PARSE  # the replay of make's parse runs make itself with /bin/sh
    if graph.shell != "/bin/sh" and own_shell:
        params.append({"name": "shell", "value": escape(graph.shell)})
    if graph.shell_flags != "-c" and own_shell:
        params.append({"name": "shell-flags", "value": escape(graph.shell_flags)})
    env = "\n".join(f"{k}={v}" for k, v in task.env.items() if "\n" not in v and "\r" not in v)
    if env:
        params.append({"name": "env", "value": value(env)})
    if task.message:
        params.append({"name": "message", "value": escape(task.message)})
    if task.source:
        params.append({"name": "source", "value": escape(task.source)})
    if options.ignore_errors:
        params.append({"name": "ignore-errors", "value": "true"})
    if task.target in options.delete_on_error:
        params.append({"name": "delete-on-error", "value": "true"})
    params.append({"name": "image", "value": "{{workflow.parameters.image}}"})
    depends = task.depends or ([root] if root else [])
    called: DAGTask = {"name": task.name}
    if task.nested is not None:
        called["template"] = _nested_name(task)
    else:
        called["templateRef"] = {"name": "make", "template": "recipe", "clusterScope": True}
        called["arguments"] = {"parameters": params}
    if depends:
        called["depends"] = " && ".join(depends)
    return called


def _nested_name(task: Task) -> str:
    """The template of a nested sub-make DAG (``main`` is the top one)."""
    return f"{task.name}-make"

"""Per-document checks of a workflow spec: names, template types, steps, DAGs, calls.

Everything here looks at one document only, so its result can be cached by content hash. What
needs other documents (templateRef, duplicate identities) is collected as a
:class:`~wfsync.lint.index.DocumentSummary` and checked by :mod:`wfsync.lint.index`. Variables,
DAG shape and ``when`` have their own modules; their names stay importable from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet

from wfsync import safepath
from wfsync.lint.rules.dag import (
    Tasks,
    _ancestors,
    _find_cycle,
    dag_tasks,
    graph_problems,
    mixed_dependencies,
    task_problems,
)
from wfsync.lint.rules.names import field_name_problem, object_name_problem, param_name_problem
from wfsync.lint.rules.parts import (
    LOOP_KEYS,
    NON_LEAF,
    TEMPLATE_KINDS,
    TEMPLATE_TYPES,
    Fields,
    names,
    params,
    required_inputs,
    template_type,
    workflow_spec,
)
from wfsync.lint.rules.suggest import did_you_mean
from wfsync.lint.rules.variables import TAG, Problem, Variables, base_scope
from wfsync.lint.rules.when import template_tags, when_syntax_problem
from wfsync.model.depends import depends_names
from wfsync.model.depends import task_dependencies as model_task_dependencies
from wfsync.model.findings import JsonPath

__all__ = [
    "LOOP_KEYS",
    "NON_LEAF",
    "TAG",
    "TEMPLATE_TYPES",
    "Problem",
    "SpecChecker",
    "_ancestors",
    "_find_cycle",
    "depends_tasks",
    "required_inputs",
    "task_dependencies",
    "template_tags",
    "template_type",
    "when_syntax_problem",
    "workflow_spec",
]

BARE_INT = re.compile(r"^\s*\d+\s*$")
DEPENDS_RESULTS = frozenset(
    {"Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed"}
)


def depends_tasks(expression: str) -> set[str]:
    """Task names a ``depends`` expression refers to (the model's parser, Argo's name rule)."""
    return depends_names(expression)


def task_dependencies(task: Mapping[str, object]) -> set[str]:
    """Every task a DAG task waits for, from ``dependencies`` or ``depends``."""
    return model_task_dependencies(task)


class SpecChecker:
    """Checks one document's workflow spec; :meth:`run` yields every problem found."""

    def __init__(self, body: Fields, kind: str) -> None:
        self.body = body
        self.kind = kind
        self.is_template_kind = kind in TEMPLATE_KINDS
        spec, self.spec_path = workflow_spec(body, kind)
        self.spec: Fields = spec or {}
        raw_templates = self.spec.get("templates")
        self.templates: list[tuple[int, Fields]] = (
            [(i, t) for i, t in enumerate(raw_templates) if isinstance(t, dict)]
            if isinstance(raw_templates, list)
            else []
        )
        self.by_name: dict[str, Fields] = {}
        for _, template in self.templates:
            name = template.get("name")
            if isinstance(name, str):
                self.by_name.setdefault(name, template)
        self.has_wftref = isinstance(self.spec.get("workflowTemplateRef"), dict)
        args = self.spec.get("arguments")
        self.workflow_params: set[str] | None = None
        if not self.is_template_kind and not self.has_wftref:
            self.workflow_params = set(names(args.get("parameters") if isinstance(args, dict) else None))
        self.variables = Variables(self.workflow_params)

    def run(self) -> Iterator[Problem]:
        """All per-document problems."""
        yield from self._metadata()
        yield from self._paths()
        if not self.spec:
            return
        yield from self._entrypoint()
        yield from self._arguments()
        seen: dict[str, int] = {}
        for index, template in self.templates:
            path = (*self.spec_path, "templates", index)
            name = template.get("name")
            if isinstance(name, str):
                if name in seen:
                    yield (*path, "name"), "template-duplicate", f"template name {name!r} is not unique"
                seen.setdefault(name, index)
                problem = field_name_problem(name)
                if problem:
                    yield (*path, "name"), "name-format", f"template name {name!r} {problem}"
            yield from self._template(template, path)
        yield from self._workflow_hooks()

    # -- document level -------------------------------------------------------------------------

    def _metadata(self) -> Iterator[Problem]:
        meta = self.body.get("metadata")
        if not isinstance(meta, dict):
            return
        name, generate = meta.get("name"), meta.get("generateName")
        namespace = meta.get("namespace")
        if isinstance(namespace, str) and (problem := safepath.namespace_problem(namespace)):
            yield ("metadata", "namespace"), "name-format", f"namespace {namespace!r} {problem}"
        if isinstance(name, str):
            problem = object_name_problem(name, self.kind)
            if problem:
                yield ("metadata", "name"), "name-format", f"name {name!r} {problem}"
        elif isinstance(generate, str) and self.kind == "Workflow":
            problem = object_name_problem(generate, self.kind, generate=True)
            if problem:
                yield ("metadata", "generateName"), "name-format", f"generateName {generate!r} {problem}"
        else:
            yield (
                ("metadata",),
                "schema-required",
                "metadata.name is required" + (" (or generateName)" if self.kind == "Workflow" else ""),
            )

    def _paths(self) -> Iterator[Problem]:
        """Pod paths with a ``..`` segment: the local engine maps them into the pod's folder."""
        for json_path, text in safepath.declared_paths(self.body):
            if safepath.has_dotdot(text):
                yield (
                    json_path,
                    "path-traversal",
                    f"path {text!r} has a '..' segment (it may leave its folder)",
                )

    def _entrypoint(self) -> Iterator[Problem]:
        entry = self.spec.get("entrypoint")
        path = (*self.spec_path, "entrypoint")
        if self.has_wftref:
            if self.templates:
                yield (
                    (*self.spec_path, "templates"),
                    "field-not-allowed",
                    "templates is an invalid field in spec when the workflow uses workflowTemplateRef",
                )
            return
        if entry is None:
            if not self.is_template_kind:
                yield path, "entrypoint-missing", "spec.entrypoint is required"
            return
        if isinstance(entry, str) and "{{" not in entry and entry not in self.by_name:
            hint = did_you_mean(entry, self.by_name)
            yield path, "entrypoint-missing", f"entrypoint template {entry!r} not found{hint}"
        elif isinstance(entry, str) and entry in self.by_name and not self.is_template_kind:
            supplied = self.workflow_params or set()
            for missing in required_inputs(self.by_name[entry]):
                if missing not in supplied:
                    yield (
                        path,
                        "input-not-supplied",
                        f"entrypoint template {entry!r} needs input parameter {missing!r}, "
                        "which spec.arguments does not supply",
                    )

    def _arguments(self) -> Iterator[Problem]:
        args = self.spec.get("arguments")
        params = args.get("parameters") if isinstance(args, dict) else None
        if not isinstance(params, list):
            return
        for index, param in enumerate(params):
            if not isinstance(param, dict):
                continue
            path = (*self.spec_path, "arguments", "parameters", index)
            name = param.get("name")
            if isinstance(name, str) and (problem := param_name_problem(name)):
                yield (*path, "name"), "name-format", f"parameter name {name!r} {problem}"
            if (
                self.kind == "Workflow"
                and not self.has_wftref
                and param.get("value") is None
                and (param.get("valueFrom") is None)
            ):
                yield (
                    path,
                    "input-not-supplied",
                    f"spec.arguments.parameters {name!r} has no value or valueFrom",
                )

    def _workflow_hooks(self) -> Iterator[Problem]:
        on_exit = self.spec.get("onExit")
        if (
            isinstance(on_exit, str)
            and self.templates
            and "{{" not in on_exit
            and on_exit not in self.by_name
        ):
            yield (
                (*self.spec_path, "onExit"),
                "template-not-found",
                f"onExit template {on_exit!r} not found{did_you_mean(on_exit, self.by_name)}",
            )
        hooks = self.spec.get("hooks")
        if isinstance(hooks, dict):
            for hook_name, hook in hooks.items():
                if isinstance(hook, dict):
                    yield from self._callee(
                        hook, (*self.spec_path, "hooks", hook_name), f"hook {hook_name!r}"
                    )

    # -- templates ------------------------------------------------------------------------------

    def _template(self, template: Fields, path: JsonPath) -> Iterator[Problem]:
        found = [t for t in TEMPLATE_TYPES if template.get(t) is not None]
        name = template.get("name", "?")
        if not found:
            yield path, "template-type", f"template {name!r} has no type (one of {', '.join(TEMPLATE_TYPES)})"
        elif len(found) > 1:
            yield path, "template-type", f"template {name!r} has more than one type: {', '.join(found)}"
        kind = found[0] if len(found) == 1 else None
        leaf = kind is not None and kind not in NON_LEAF
        if not leaf and kind is not None:
            for key in ("timeout", "activeDeadlineSeconds"):
                if template.get(key) is not None:
                    yield (
                        (*path, key),
                        "field-not-allowed",
                        f"{key} is only allowed on leaf templates, not on {kind} template {name!r}",
                    )
        if leaf and template.get("parallelism") is not None:
            yield (
                (*path, "parallelism"),
                "field-not-allowed",
                f"parallelism is only allowed on steps and dag templates, not on {kind} template {name!r}",
            )
        timeout = template.get("timeout")
        if isinstance(timeout, int) or (isinstance(timeout, str) and BARE_INT.match(timeout)):
            yield (
                (*path, "timeout"),
                "field-not-allowed",
                f"timeout {timeout!r} needs a unit (for example '{timeout}s')",
            )
        for section in ("inputs", "outputs"):
            for what in ("parameters", "artifacts"):
                for index, item in enumerate(params(template, section, what)):
                    pname = item.get("name")
                    if isinstance(pname, str) and (problem := param_name_problem(pname)):
                        yield (
                            (*path, section, what, index, "name"),
                            "name-format",
                            f"{what[:-1]} name {pname!r} {problem}",
                        )
        base = base_scope(template)
        if kind == "steps":
            yield from self._steps(template, path, base)
        elif kind == "dag":
            yield from self._dag(template, path, base)
        else:
            yield from self.variables.check(template, path, base, set(), loop=False)

    def _callee(self, item: Fields, path: JsonPath, what: str) -> Iterator[Problem]:
        """A step, task or hook: its local template must exist and get its required inputs."""
        target = item.get("template")
        if (
            not isinstance(target, str)
            or item.get("templateRef") is not None
            or item.get("inline") is not None
        ):
            return
        if "{{" in target:
            return
        callee = self.by_name.get(target)
        if callee is None:
            yield (
                (*path, "template"),
                "template-not-found",
                f"{what} references template {target!r}, which does not exist"
                + did_you_mean(target, self.by_name),
            )
            return
        args = item.get("arguments")
        yield from _unknown_arguments(args, callee, path, what, target)
        supplied = set(names(args.get("parameters") if isinstance(args, dict) else None))
        for missing in required_inputs(callee):
            if missing not in supplied:
                yield (
                    path,
                    "input-not-supplied",
                    f"{what} calls template {target!r} without its required input parameter {missing!r}",
                )

    def _steps(self, template: Fields, path: JsonPath, base: set[str]) -> Iterator[Problem]:
        groups = template.get("steps")
        if not isinstance(groups, list):
            return
        done: set[str] = set()
        all_steps: set[str] = set()
        seen: set[str] = set()
        for g, group in enumerate(groups):
            steps = group if isinstance(group, list) else [group] if isinstance(group, dict) else []
            names_here: list[str] = []
            for s, step in enumerate(steps):
                if not isinstance(step, dict):
                    continue
                spath = (*path, "steps", g, s) if isinstance(group, list) else (*path, "steps", g)
                name = step.get("name")
                if isinstance(name, str):
                    if name in seen:
                        yield (*spath, "name"), "step-duplicate", f"step name {name!r} is not unique"
                    seen.add(name)
                    names_here.append(name)
                    problem = field_name_problem(name)
                    if problem:
                        yield (*spath, "name"), "name-format", f"step name {name!r} {problem}"
                yield from self._callee(step, spath, f"step {name!r}")
                yield from self._when(step, spath)
                yield from self._node_vars(step, spath, base, done, name, "steps")
            done.update(names_here)
            all_steps.update(names_here)
        rest = {k: v for k, v in template.items() if k != "steps"}
        yield from self.variables.check(rest, path, base, all_steps, loop=False, local="steps")

    def _dag(self, template: Fields, path: JsonPath, base: set[str]) -> Iterator[Problem]:
        dag = template.get("dag")
        tasks_raw = dag.get("tasks") if isinstance(dag, dict) else None
        if not isinstance(tasks_raw, list):
            return
        dpath = (*path, "dag")
        tasks: Tasks = {}
        yield from dag_tasks(tasks_raw, dpath, tasks)
        declared, mixed = mixed_dependencies(tasks, dpath)
        yield from mixed
        deps: dict[str, set[str]] = {}
        for name, (index, task) in tasks.items():
            tpath = (*dpath, "tasks", index)
            yield from task_problems(name, task, tpath, tasks, declared, deps)
            yield from self._callee(task, tpath, f"task {name!r}")
            yield from self._when(task, tpath)
        yield from graph_problems(deps, dag, dpath, tasks)
        ancestors = _ancestors(deps)
        for name, (index, task) in tasks.items():
            visible = ancestors.get(name, set())
            yield from self._node_vars(task, (*dpath, "tasks", index), base, visible, name, "tasks")
        rest = {k: v for k, v in template.items() if k != "dag"}
        yield from self.variables.check(rest, path, base, set(tasks), loop=False, local="tasks")

    def _node_vars(
        self,
        node: Fields,
        path: JsonPath,
        base: set[str],
        visible: AbstractSet[str],
        name: object,
        local: str,
    ) -> Iterator[Problem]:
        """Tags of a step or task, then of its hooks (which also see the node itself)."""
        loop = any(node.get(k) is not None for k in LOOP_KEYS)
        body = {k: v for k, v in node.items() if k != "hooks"}
        yield from self.variables.check(body, path, base, visible, loop=loop, local=local)
        hooks = node.get("hooks")
        if not isinstance(hooks, dict):
            return
        own = visible | ({name} if isinstance(name, str) else set())
        what = "step" if local == "steps" else "task"
        for hook_name, hook in hooks.items():
            if isinstance(hook, dict):
                hpath = (*path, "hooks", hook_name)
                yield from self._callee(hook, hpath, f"hook {hook_name!r} of {what} {name!r}")
                yield from self.variables.check(hook, hpath, base, own, loop=loop, local=local)

    def _when(self, item: Fields, path: JsonPath) -> Iterator[Problem]:
        when = item.get("when")
        if not isinstance(when, str):
            return
        problem = when_syntax_problem(when)
        if problem:
            yield (*path, "when"), "when-syntax", f"invalid 'when' expression {when!r}: {problem}"

    # -- variables ------------------------------------------------------------------------------


def _unknown_arguments(
    args: object, callee: Fields, path: JsonPath, what: str, target: str
) -> Iterator[Problem]:
    """Arguments whose name matches none of the called template's inputs (Argo ignores them silently).

    Only when the template declares inputs of that kind: passing arguments to a template without
    any is common and harmless (Argo's own examples do it); a name that misses declared inputs
    is a misspelling.
    """
    if not isinstance(args, dict):
        return
    for section in ("parameters", "artifacts"):
        items = args.get(section)
        inputs = names(params(callee, "inputs", section))
        for index, arg in enumerate(items if isinstance(items, list) else []):
            name = arg.get("name") if isinstance(arg, dict) else None
            if inputs and isinstance(name, str) and "{{" not in name and name not in inputs:
                yield (
                    (*path, "arguments", section, index, "name"),
                    "argument-unknown",
                    f"{what} passes {section[:-1]} {name!r} to template {target!r}, which has no input "
                    f"{section[:-1]} {name!r}{did_you_mean(name, inputs)}",
                )

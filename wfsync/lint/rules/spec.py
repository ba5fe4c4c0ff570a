"""Per-document checks of a workflow spec: names, template types, steps, DAGs, variables.

Everything here looks at one document only, so its result can be cached by content hash. What
needs other documents (templateRef, duplicate identities) is collected as a
:class:`~wfsync.lint.index.DocumentSummary` and checked by :mod:`wfsync.lint.index`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from wfsync import safepath
from wfsync.lint.rules.names import field_name_problem, object_name_problem, param_name_problem
from wfsync.lint.rules.suggest import did_you_mean
from wfsync.model.depends import depends_names
from wfsync.model.depends import task_dependencies as model_task_dependencies
from wfsync.model.findings import JsonPath

Problem = tuple[JsonPath, str, str]

TEMPLATE_TYPES = (
    "container",
    "containerSet",
    "script",
    "resource",
    "suspend",
    "steps",
    "dag",
    "http",
    "data",
    "plugin",
)
NON_LEAF = frozenset({"steps", "dag"})
LOOP_KEYS = ("withItems", "withParam", "withSequence")
TAG = re.compile(r"\{\{([^{}]*)\}\}")
"""A template tag as fasttemplate finds it; ``{{=...}}`` tags are expressions."""
VALIDATED_PREFIXES = ("item.", "steps.", "inputs.", "outputs.", "pod.", "workflow.", "tasks.")
WORKFLOW_VARS = frozenset(
    {
        "workflow.name",
        "workflow.namespace",
        "workflow.uid",
        "workflow.mainEntrypoint",
        "workflow.serviceAccountName",
        "workflow.parameters",
        "workflow.parameters.json",
        "workflow.labels.json",
        "workflow.annotations.json",
        "workflow.priority",
        "workflow.status",
        "workflow.failures",
        "workflow.duration",
        "workflow.scheduledTime",
        "workflow.labels",
        "workflow.annotations",
    }
)
WORKFLOW_OPEN_PREFIXES = (
    "workflow.labels.",
    "workflow.annotations.",
    "workflow.outputs.",
    "workflow.creationTimestamp",
)
NODE_ATTRS = frozenset(
    {"id", "ip", "status", "exitCode", "startedAt", "finishedAt", "hostNodeName", "outputs"}
)
BARE_INT = re.compile(r"^\s*\d+\s*$")
DEPENDS_RESULTS = frozenset(
    {"Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed"}
)


def workflow_spec(body: Mapping[str, Any], kind: str) -> tuple[Mapping[str, Any] | None, JsonPath]:
    """The workflow spec of a document and its path (CronWorkflows nest it)."""
    spec = body.get("spec")
    if not isinstance(spec, dict):
        return None, ("spec",)
    if kind == "CronWorkflow":
        inner = spec.get("workflowSpec")
        return (
            (inner, ("spec", "workflowSpec")) if isinstance(inner, dict) else (None, ("spec", "workflowSpec"))
        )
    return spec, ("spec",)


def depends_tasks(expression: str) -> set[str]:
    """Task names a ``depends`` expression refers to (the model's parser, Argo's name rule)."""
    return depends_names(expression)


def task_dependencies(task: Mapping[str, Any]) -> set[str]:
    """Every task a DAG task waits for, from ``dependencies`` or ``depends``."""
    return model_task_dependencies(task)


def _strings(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    """Every string (map keys included) inside ``value`` with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "{{" in key:
                yield (*path, key), key
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _tags(text: str) -> Iterator[str]:
    if "{{" not in text:
        return
    for match in TAG.finditer(text):
        tag = match.group(1).strip()
        if not tag.startswith("="):
            yield tag


def _names(items: Any, key: str = "name") -> list[str]:
    if not isinstance(items, list):
        return []
    return [i[key] for i in items if isinstance(i, dict) and isinstance(i.get(key), str)]


def _params(template: Mapping[str, Any], section: str, kind: str) -> list[Mapping[str, Any]]:
    block = template.get(section)
    items = block.get(kind) if isinstance(block, dict) else None
    return [p for p in items if isinstance(p, dict)] if isinstance(items, list) else []


def template_type(template: Mapping[str, Any]) -> str | None:
    """The body type of a template (``container``, ``steps`` ...), or None if not exactly one."""
    found = [t for t in TEMPLATE_TYPES if template.get(t) is not None]
    return found[0] if len(found) == 1 else None


def required_inputs(template: Mapping[str, Any]) -> list[str]:
    """Input parameters a caller must supply: no value, default or valueFrom of their own."""
    return [
        p["name"]
        for p in _params(template, "inputs", "parameters")
        if isinstance(p.get("name"), str) and all(p.get(k) is None for k in ("value", "default", "valueFrom"))
    ]


class SpecChecker:
    """Checks one document's workflow spec; :meth:`run` yields every problem found."""

    def __init__(self, body: Mapping[str, Any], kind: str) -> None:
        self.body = body
        self.kind = kind
        self.is_template_kind = kind in ("WorkflowTemplate", "ClusterWorkflowTemplate")
        spec, self.spec_path = workflow_spec(body, kind)
        self.spec: Mapping[str, Any] = spec or {}
        raw_templates = self.spec.get("templates")
        self.templates: list[tuple[int, Mapping[str, Any]]] = (
            [(i, t) for i, t in enumerate(raw_templates) if isinstance(t, dict)]
            if isinstance(raw_templates, list)
            else []
        )
        self.by_name: dict[str, Mapping[str, Any]] = {}
        for _, template in self.templates:
            name = template.get("name")
            if isinstance(name, str):
                self.by_name.setdefault(name, template)
        self.has_wftref = isinstance(self.spec.get("workflowTemplateRef"), dict)
        args = self.spec.get("arguments")
        self.workflow_params: set[str] | None = None
        if not self.is_template_kind and not self.has_wftref:
            self.workflow_params = set(_names(args.get("parameters") if isinstance(args, dict) else None))

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

    def _template(self, template: Mapping[str, Any], path: JsonPath) -> Iterator[Problem]:
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
                for index, item in enumerate(_params(template, section, what)):
                    pname = item.get("name")
                    if isinstance(pname, str) and (problem := param_name_problem(pname)):
                        yield (
                            (*path, section, what, index, "name"),
                            "name-format",
                            f"{what[:-1]} name {pname!r} {problem}",
                        )
        base = self._base_scope(template)
        if kind == "steps":
            yield from self._steps(template, path, base)
        elif kind == "dag":
            yield from self._dag(template, path, base)
        else:
            yield from self._check_vars(template, path, base, set(), loop=False)

    def _base_scope(self, template: Mapping[str, Any]) -> set[str]:
        scope = {"inputs.parameters", "pod.name", "node.name"}
        for p in _names(_params(template, "inputs", "parameters")):
            scope.add(f"inputs.parameters.{p}")
        for a in _names(_params(template, "inputs", "artifacts")):
            scope.add(f"inputs.artifacts.{a}")
            scope.add(f"inputs.artifacts.{a}.path")
        return scope

    def _callee(self, item: Mapping[str, Any], path: JsonPath, what: str) -> Iterator[Problem]:
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
        supplied = set(_names(args.get("parameters") if isinstance(args, dict) else None))
        for missing in required_inputs(callee):
            if missing not in supplied:
                yield (
                    path,
                    "input-not-supplied",
                    f"{what} calls template {target!r} without its required input parameter {missing!r}",
                )

    def _steps(self, template: Mapping[str, Any], path: JsonPath, base: set[str]) -> Iterator[Problem]:
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
                loop = any(step.get(k) is not None for k in LOOP_KEYS)
                body = {k: v for k, v in step.items() if k != "hooks"}
                yield from self._check_vars(body, spath, base, done, loop=loop, local="steps")
                hooks = step.get("hooks")
                if isinstance(hooks, dict):
                    own = done | ({name} if isinstance(name, str) else set())
                    for hook_name, hook in hooks.items():
                        if isinstance(hook, dict):
                            hpath = (*spath, "hooks", hook_name)
                            yield from self._callee(hook, hpath, f"hook {hook_name!r} of step {name!r}")
                            yield from self._check_vars(hook, hpath, base, own, loop=loop, local="steps")
            done.update(names_here)
            all_steps.update(names_here)
        rest = {k: v for k, v in template.items() if k != "steps"}
        yield from self._check_vars(rest, path, base, all_steps, loop=False, local="steps")

    def _dag(self, template: Mapping[str, Any], path: JsonPath, base: set[str]) -> Iterator[Problem]:
        dag = template.get("dag")
        tasks_raw = dag.get("tasks") if isinstance(dag, dict) else None
        if not isinstance(tasks_raw, list):
            return
        dpath = (*path, "dag")
        tasks: dict[str, tuple[int, Mapping[str, Any]]] = {}
        for index, task in enumerate(tasks_raw):
            if not isinstance(task, dict) or not isinstance(task.get("name"), str):
                continue
            name = task["name"]
            tpath = (*dpath, "tasks", index)
            if name in tasks:
                yield (*tpath, "name"), "step-duplicate", f"task name {name!r} is not unique"
                continue
            tasks[name] = (index, task)
            problem = field_name_problem(name)
            if problem:
                yield (*tpath, "name"), "name-format", f"task name {name!r} {problem}"
        uses_depends = any(t.get("depends") is not None for _, t in tasks.values())
        uses_deps = any(t.get("dependencies") is not None for _, t in tasks.values())
        if uses_depends and uses_deps:
            yield (
                dpath,
                "dag-depends-mixed",
                "cannot use both 'depends' and 'dependencies' in the same DAG template",
            )
        deps: dict[str, set[str]] = {}
        for name, (index, task) in tasks.items():
            tpath = (*dpath, "tasks", index)
            if (uses_depends or uses_deps) and name[:1].isdigit():
                yield (
                    (*tpath, "name"),
                    "dag-task-name-digit",
                    f"task name {name!r} cannot begin with a digit when using either 'depends' or 'dependencies'",
                )
            if task.get("depends") is not None and task.get("continueOn") is not None:
                yield (
                    tpath,
                    "dag-depends-mixed",
                    f"task {name!r}: continueOn cannot be used together with depends",
                )
            deps[name] = task_dependencies(task)
            for dep in sorted(deps[name]):
                if dep not in tasks:
                    where = "dependencies" if task.get("dependencies") is not None else "depends"
                    yield (
                        (*tpath, where),
                        "dag-dependency-missing",
                        f"task {name!r} depends on unknown task {dep!r}",
                    )
            yield from self._callee(task, tpath, f"task {name!r}")
            yield from self._when(task, tpath)
        cycle = _find_cycle(deps)
        if cycle:
            yield dpath, "dag-cycle", "dependency cycle: " + " -> ".join(cycle)
        target = dag.get("target") if isinstance(dag, dict) else None
        if isinstance(target, str) and "{{" not in target:
            for t in target.split():
                if t not in tasks:
                    yield (*dpath, "target"), "dag-target-missing", f"target task {t!r} does not exist"
        ancestors = _ancestors(deps)
        for name, (index, task) in tasks.items():
            tpath = (*dpath, "tasks", index)
            loop = any(task.get(k) is not None for k in LOOP_KEYS)
            body = {k: v for k, v in task.items() if k != "hooks"}
            visible = ancestors.get(name, set())
            yield from self._check_vars(body, tpath, base, visible, loop=loop, local="tasks")
            hooks = task.get("hooks")
            if isinstance(hooks, dict):
                for hook_name, hook in hooks.items():
                    if isinstance(hook, dict):
                        hpath = (*tpath, "hooks", hook_name)
                        yield from self._callee(hook, hpath, f"hook {hook_name!r} of task {name!r}")
                        yield from self._check_vars(
                            hook, hpath, base, visible | {name}, loop=loop, local="tasks"
                        )
        rest = {k: v for k, v in template.items() if k != "dag"}
        yield from self._check_vars(rest, path, base, set(tasks), loop=False, local="tasks")

    def _when(self, item: Mapping[str, Any], path: JsonPath) -> Iterator[Problem]:
        when = item.get("when")
        if not isinstance(when, str):
            return
        problem = when_syntax_problem(when)
        if problem:
            yield (*path, "when"), "when-syntax", f"invalid 'when' expression {when!r}: {problem}"

    # -- variables ------------------------------------------------------------------------------

    def _check_vars(
        self,
        value: Any,
        path: JsonPath,
        base: set[str],
        nodes: AbstractSet[str],
        *,
        loop: bool,
        local: str = "",
    ) -> Iterator[Problem]:
        """Report ``{{...}}`` tags with a validated prefix that resolve to nothing in scope."""
        for spath, text in _strings(value, path):
            for tag in _tags(text):
                problem = self._unresolved(tag, base, nodes, loop=loop, local=local)
                if problem:
                    yield spath, "variable-unresolved", f"failed to resolve {{{{{tag}}}}}: {problem}"

    def _unresolved(
        self, tag: str, base: set[str], nodes: AbstractSet[str], *, loop: bool, local: str
    ) -> str | None:
        if not tag.startswith(VALIDATED_PREFIXES) or tag in base:
            return None
        root, _, rest = tag.partition(".")
        if root == "outputs":
            return None
        if root == "item":
            return (
                None
                if loop
                else "item is only defined in a step or task with withItems, withParam or withSequence"
            )
        if root == "inputs":
            section, _, name = rest.partition(".")
            if section == "artifacts" and name.split(".")[0] in {
                b.split(".")[2] for b in base if b.startswith("inputs.artifacts.")
            }:
                return None
            what = section[:-1] if section.endswith("s") else section
            declared = [b.split(".")[2] for b in base if b.startswith(f"inputs.{section}.")]
            return f"the template has no input {what} {name!r}{did_you_mean(name, declared)}"
        if root == "pod":
            return "only pod.name is defined"
        if root == "workflow":
            if tag in WORKFLOW_VARS or tag.startswith(WORKFLOW_OPEN_PREFIXES):
                return None
            if tag.startswith("workflow.parameters."):
                if self.workflow_params is None:
                    return None
                pname = tag[len("workflow.parameters.") :]
                if pname in self.workflow_params:
                    return None
                return f"spec.arguments has no parameter {pname!r}{did_you_mean(pname, self.workflow_params)}"
            return "not a workflow variable"
        if root in ("steps", "tasks"):
            if rest == "name":
                return None
            if root != local:
                return f"{root}.* is only defined inside a {'steps' if root == 'steps' else 'dag'} template"
            node, _, attr = rest.partition(".")
            if node not in nodes:
                where = (
                    "an earlier step" if root == "steps" else "a task this one depends on (directly or not)"
                )
                return f"{node!r} is not {where}"
            head = attr.split(".")[0]
            if head not in NODE_ATTRS:
                return f"{head!r} is not a {root[:-1]} attribute"
        return None


def _unknown_arguments(
    args: Any, callee: Mapping[str, Any], path: JsonPath, what: str, target: str
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
        inputs = _names(_params(callee, "inputs", section))
        for index, arg in enumerate(items if isinstance(items, list) else []):
            name = arg.get("name") if isinstance(arg, dict) else None
            if inputs and isinstance(name, str) and "{{" not in name and name not in inputs:
                yield (
                    (*path, "arguments", section, index, "name"),
                    "argument-unknown",
                    f"{what} passes {section[:-1]} {name!r} to template {target!r}, which has no input "
                    f"{section[:-1]} {name!r}{did_you_mean(name, inputs)}",
                )


def template_tags(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, tag)`` of each tag as fasttemplate finds it: a tag ends at the FIRST ``}}``.

    So ``{{= {"a": "b"}[x] }}`` is one expression tag (``}[`` is not ``}}``), while in
    ``{{= {"a": {"b": 1}} }}`` the tag stops after ``1``. An unclosed ``{{`` is left as text.
    """
    pos = 0
    while (start := text.find("{{", pos)) >= 0:
        end = text.find("}}", start + 2)
        if end < 0:
            return
        yield start, end + 2, text[start + 2 : end]
        pos = end + 2


def when_syntax_problem(when: str) -> str | None:
    """Why a ``when`` cannot be parsed by govaluate once its tags are substituted, or None.

    Tags become a plain word (expression tags ``true``): the real value is unknown before run
    time, so only the expression around the tags is judged, and an expression tag only for
    being cut short by a ``}}`` inside it.
    """
    from wfsync.expressions.govaluate import WhenError, check_when

    parts: list[str] = []
    pos = 0
    for start, end, tag in template_tags(when):
        stripped = tag.strip()
        if stripped.startswith("="):
            problem = _cut_expression(stripped[1:])
            if problem:
                return problem
        parts.append(when[pos:start] + ("true" if stripped.startswith("=") else "x"))
        pos = end
    text = ("".join(parts) + when[pos:]).strip()
    if not text:
        return "empty expression"
    try:
        check_when(text)
    except WhenError as err:
        return str(err).split(": ", 1)[-1]
    return None


def _cut_expression(expression: str) -> str | None:
    """Why an expression tag is not what its author wrote: Argo ended it at a ``}}`` inside it."""
    from wfsync.expressions import exprlang

    quoted = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', "", expression)
    if sum(quoted.count(c) for c in "{[(") <= sum(quoted.count(c) for c in "}])"):
        return None
    try:
        exprlang.compile(expression)
    except exprlang.ExprError:
        return (
            f"Argo ends a '{{{{=' expression at the first '}}}}', so it evaluates {expression.strip()!r}, "
            "which is cut short (write '} }' for braces that close together inside an expression)"
        )
    return None


def _find_cycle(deps: Mapping[str, set[str]]) -> list[str] | None:
    """One dependency cycle (as a path of task names) or None.

    Iterative depth-first search (an explicit stack, not recursion: a 10,000-task chain is
    fine), visiting names and dependencies in sorted order.
    """
    state: dict[str, int] = {}
    for root in sorted(deps):
        if root in state:
            continue
        state[root] = 1
        path = [root]
        pending = [iter(sorted(deps.get(root, ())))]
        while pending:
            dep = next(pending[-1], None)
            if dep is None:
                state[path.pop()] = 2
                pending.pop()
                continue
            if dep not in deps:
                continue
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state:
                state[dep] = 1
                path.append(dep)
                pending.append(iter(sorted(deps.get(dep, ()))))
    return None


class _Ancestry(AbstractSet[str]):
    """A task's transitive dependencies, explored only as far as a membership test needs.

    Lint asks only whether a referenced task is an ancestor: building every task's full set
    was quadratic on long chains (12.5 million entries for a 5,000-task chain).
    """

    def __init__(self, deps: Mapping[str, set[str]], task: str) -> None:
        self._deps = deps
        self._task = task
        self._seen: set[str] = set()
        self._frontier = [task]

    def _explore(self, until: str | None) -> None:
        while self._frontier:
            if until is not None and until in self._seen:
                return
            for dep in self._deps.get(self._frontier.pop(), ()):
                if dep in self._deps and dep not in self._seen and dep != self._task:
                    self._seen.add(dep)
                    self._frontier.append(dep)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str) and name not in self._seen:
            self._explore(name)
        return name in self._seen

    def __iter__(self) -> Iterator[str]:
        self._explore(None)
        return iter(self._seen)

    def __len__(self) -> int:
        self._explore(None)
        return len(self._seen)

    @classmethod
    def _from_iterable(cls, it: Iterable[str]) -> set[str]:  # type: ignore[override]
        return set(it)


def _ancestors(deps: Mapping[str, set[str]]) -> dict[str, AbstractSet[str]]:
    """Every task's transitive dependencies, lazily (cycles tolerated; reported elsewhere)."""
    return {node: _Ancestry(deps, node) for node in deps}

"""One walker over the places of a workflow spec that call a template.

Every step, DAG task, lifecycle hook and exit handler (``spec.onExit``, ``hooks``, and the
deprecated ``onExit`` of a step or task) is a :class:`Caller`, with its JSON path and, when a
line lookup is given, its source line. Templates written ``inline`` in a step or task are walked
too. The walk is iterative (an explicit queue), so nesting depth costs no Python stack.

The line lookup is a callable (``JsonPath -> int``) rather than the YAML node itself: the model
is the bottom layer and does not import the library's YAML reader.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import deque
from collections.abc import Callable, Iterator, Mapping

from wfsync.model.findings import JsonPath
from wfsync.model.kinds import Kind

LineOf = Callable[[JsonPath], int]
"""The 1-based source line of a JSON path (0 when unknown)."""


class CallerKind(enum.StrEnum):
    """What kind of place calls a template."""

    STEP = "step"
    TASK = "task"
    HOOK = "hook"
    EXIT = "exit"


class Loc:
    """A JSON path kept as a parent link plus a tail, so that deep nesting costs no copying.

    Materializing ``path`` costs the depth; the walk itself never does it.
    """

    __slots__ = ("parent", "tail")

    def __init__(self, parent: Loc | None, tail: JsonPath) -> None:
        self.parent = parent
        self.tail = tail

    @property
    def path(self) -> JsonPath:
        """The whole path as a tuple."""
        parts: list[JsonPath] = []
        loc: Loc | None = self
        while loc is not None:
            parts.append(loc.tail)
            loc = loc.parent
        return tuple(part for tail in reversed(parts) for part in tail)


@dataclasses.dataclass(slots=True)
class Caller:
    """A step, task, hook or exit handler and where it is.

    ``node`` is the mapping that names the template (``template``, ``templateRef`` or ``inline``);
    for an ``onExit: NAME`` string it is ``{"template": NAME}`` and ``path`` is the string's path.
    ``template_path`` is the path of the template holding it (the spec's path for spec hooks).
    """

    loc: Loc
    node: Mapping[str, object]
    kind: CallerKind
    name: str
    template_loc: Loc
    line: int = 0

    @property
    def path(self) -> JsonPath:
        """The JSON path of the step, task or hook (of the ``onExit`` string for exit handlers)."""
        return self.loc.path

    @property
    def template_path(self) -> JsonPath:
        """The JSON path of the template that holds it."""
        return self.template_loc.path

    @property
    def what(self) -> str:
        """How messages name it: ``step 'build'``, ``task 'a'``, ``hook 'running'``, ``exit handler``."""
        if self.kind is CallerKind.EXIT:
            return "exit handler"
        return f"{self.kind.value} {self.name!r}"


def workflow_spec(
    body: Mapping[str, object], kind: str | None = None
) -> tuple[Mapping[str, object] | None, JsonPath]:
    """The workflow spec of a document and its path (a CronWorkflow nests it in ``workflowSpec``)."""
    kind = kind if kind is not None else str(body.get("kind") or "")
    spec = body.get("spec")
    if not isinstance(spec, dict):
        return None, ("spec",)
    if kind == Kind.CRON_WORKFLOW:
        inner = spec.get("workflowSpec")
        return (inner if isinstance(inner, dict) else None), ("spec", "workflowSpec")
    return spec, ("spec",)


def workflow_template_ref(body: Mapping[str, object]) -> tuple[object, JsonPath]:
    """The ``workflowTemplateRef`` of a document and its path (None when it has none).

    A Workflow has it in ``spec``, a CronWorkflow in ``spec.workflowSpec``, and a
    WorkflowEventBinding in ``spec.submit`` (the workflow it submits on an event).
    """
    if body.get("kind") == "WorkflowEventBinding":
        spec = body.get("spec")
        submit = spec.get("submit") if isinstance(spec, dict) else None
        ref = submit.get("workflowTemplateRef") if isinstance(submit, dict) else None
        return ref, ("spec", "submit", "workflowTemplateRef")
    wf_spec, path = workflow_spec(body)
    return (wf_spec.get("workflowTemplateRef") if wf_spec is not None else None), (
        *path,
        "workflowTemplateRef",
    )


def step_groups(tmpl: Mapping[str, object]) -> Iterator[tuple[JsonPath, list[object]]]:
    """The parallel step groups of a steps template, each with its path relative to the template.

    A group is a list; the older ``{steps: [...]}`` form of a group is accepted too.
    """
    groups = tmpl.get("steps")
    if not isinstance(groups, list):
        return
    for g, group in enumerate(groups):
        if isinstance(group, list):
            yield ("steps", g), group
        elif isinstance(group, dict) and isinstance(group.get("steps"), list):
            yield ("steps", g, "steps"), group["steps"]


def dag_tasks(tmpl: Mapping[str, object]) -> list[object]:
    """The ``dag.tasks`` list of a template ([] when it has none)."""
    dag = tmpl.get("dag")
    tasks = dag.get("tasks") if isinstance(dag, dict) else None
    return tasks if isinstance(tasks, list) else []


def steps_and_tasks(tmpl: Mapping[str, object], tpath: JsonPath | Loc = ()) -> Iterator[Caller]:
    """The steps and DAG tasks of one template (not their hooks, not inline templates)."""
    tloc = tpath if isinstance(tpath, Loc) else Loc(None, tpath)
    for gpath, group in step_groups(tmpl):
        for s, step in enumerate(group):
            if isinstance(step, dict):
                yield Caller(Loc(tloc, (*gpath, s)), step, CallerKind.STEP, _name(step), tloc)
    for t, task in enumerate(dag_tasks(tmpl)):
        if isinstance(task, dict):
            yield Caller(Loc(tloc, ("dag", "tasks", t)), task, CallerKind.TASK, _name(task), tloc)


def hooks_of(
    holder: Mapping[str, object], path: JsonPath | Loc = (), tpath: JsonPath | Loc = ()
) -> Iterator[Caller]:
    """The lifecycle hooks and the ``onExit`` handler of a spec, step or task."""
    loc = path if isinstance(path, Loc) else Loc(None, path)
    tloc = tpath if isinstance(tpath, Loc) else Loc(None, tpath)
    hooks = holder.get("hooks")
    if isinstance(hooks, dict):
        for name, hook in hooks.items():
            if isinstance(hook, dict):
                yield Caller(Loc(loc, ("hooks", name)), hook, CallerKind.HOOK, str(name), tloc)
    on_exit = holder.get("onExit")
    if on_exit:
        yield Caller(Loc(loc, ("onExit",)), {"template": on_exit}, CallerKind.EXIT, "exit", tloc)


def callers(
    spec: Mapping[str, object], spec_path: JsonPath = ("spec",), line_of: LineOf | None = None
) -> Iterator[Caller]:
    """Every caller of a workflow spec, in document order.

    Spec hooks and exit handler first, then each template's steps and tasks (each followed by its
    hooks and exit handler), then templates written inline, breadth first.
    """
    root = Loc(None, spec_path)
    for caller in hooks_of(spec, root, root):
        yield _lined(caller, line_of)
    queue: deque[tuple[Mapping[str, object], Loc]] = deque()
    templates = spec.get("templates")
    for index, tmpl in enumerate(templates if isinstance(templates, list) else []):
        if isinstance(tmpl, dict):
            queue.append((tmpl, Loc(root, ("templates", index))))
    while queue:
        tmpl, tloc = queue.popleft()
        for caller in steps_and_tasks(tmpl, tloc):
            yield _lined(caller, line_of)
            for hook in hooks_of(caller.node, caller.loc, tloc):
                yield _lined(hook, line_of)
            inline = caller.node.get("inline")
            if isinstance(inline, dict):
                queue.append((inline, Loc(caller.loc, ("inline",))))


def _name(item: Mapping[str, object]) -> str:
    name = item.get("name")
    return name if isinstance(name, str) else str(name)


def _lined(caller: Caller, line_of: LineOf | None) -> Caller:
    return caller if line_of is None else dataclasses.replace(caller, line=line_of(caller.path))

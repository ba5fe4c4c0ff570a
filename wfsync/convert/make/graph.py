"""From make's database and a recorded run to tasks with edges: what becomes the Argo DAG.

Only what make ran becomes a task (a file target that is up to date in the workspace does not
run in make either, and Argo has no timestamps to decide it). Edges come from the database:
normal and order-only prerequisites (through targets that have no recipe, such as phony
aggregates), ``::`` rules chained in makefile order, ``.WAIT`` as a barrier between the
prerequisites on each side, ``.NOTPARALLEL`` as a chain in the order make ran, grouped targets
(``&:``) as one task.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from wfsync.convert.make.database import Database, Rule
from wfsync.convert.make.record import Invocation, Recording

MAKE_MESSAGE = re.compile(r"^make(?:\[\d+\])?: .*\n?", re.MULTILINE)
NAME_LIMIT = 50


@dataclass
class Line:
    """One shell call: the expanded command and make's prefixes (``@`` silent, ``-`` ignore, ``+``)."""

    command: str
    silent: bool = False
    ignore: bool = False
    always: bool = False

    def encoded(self) -> str:
        """The line as the ``make`` template reads it: prefixes, then the command, tab-continued."""
        prefix = ("@" if self.silent else "") + ("-" if self.ignore else "") + ("+" if self.always else "")
        first, *rest = self.command.split("\n")
        return prefix + first + "".join(f"\n\t{part}" for part in rest)


@dataclass
class Task:
    """One recipe run of one target (one ``::`` rule): an Argo DAG task."""

    name: str
    target: str
    lines: list[Line] = field(default_factory=list)
    directory: str = "."
    env: dict[str, str] = field(default_factory=dict)
    message: str = ""
    """What make printed itself before the recipe ran (``$(info)``, parse-time output)."""
    source: str = ""
    depends: list[str] = field(default_factory=list)
    also_makes: list[str] = field(default_factory=list)
    cleanup: list[str] = field(default_factory=list)
    """Intermediate files make removed at the end (the final task only)."""
    nested: Graph | None = None
    """A recursive ``$(MAKE) -C dir`` converted as the sub-make's own DAG (this task runs it)."""

    def recipe(self) -> str:
        """All lines in the template's format, one per line."""
        return "\n".join(line.encoded() for line in self.lines)


@dataclass
class Graph:
    """Tasks in the order make ran them, and what the report says about the conversion."""

    tasks: list[Task] = field(default_factory=list)
    shell: str = "/bin/sh"
    shell_flags: str = "-c"
    notes: list[str] = field(default_factory=list)
    """What did not convert exactly, one sentence each."""
    not_run: list[str] = field(default_factory=list)
    """Targets with a recipe that make did not run (up to date, or never reached from the goals)."""
    recursive: list[str] = field(default_factory=list)


def build_graph(database: Database, recording: Recording, *, serial: bool = False) -> Graph:
    """Tasks from the recording, edges from the database (``serial``: chained in make's order)."""
    graph = Graph()
    _shell(graph, database, recording)
    names: set[str] = set()
    by_target: dict[str, list[Task]] = {}
    last = recording.invocations[-1] if recording.invocations else None
    for target, rule, invocations in _group(database, recording):
        # a failing line that is not the last make ran was ignored by make ("Error N (ignored)")
        ignored = {id(inv) for inv in invocations if inv is not last or recording.exit_status == 0}
        task = _task(
            graph,
            target,
            rule,
            invocations,
            ignored,
            _task_name(target, names, len(by_target.get(target, ()))),
        )
        names.add(task.name)
        by_target.setdefault(target, []).append(task)
        for alias in task.also_makes:
            by_target.setdefault(alias, []).append(task)
        graph.tasks.append(task)
    if not graph.tasks:
        goal = database.default_goal or "all"
        graph.tasks.append(Task(_task_name(goal, names, 0), goal))
    _final(graph, recording, names)
    _edges(graph, database, by_target, serial or database.special(".NOTPARALLEL") is not None)
    graph.not_run = _not_run(database, graph)
    if any(r.variables.get("SHELL") for rules in database.rules.values() for r in rules):
        graph.notes.append("a target-specific SHELL is not kept: every recipe runs with the global SHELL")
    for target, command in recording.expansion_shells:
        graph.notes.append(
            f"{target or 'parse time'}: $(shell {command}) ran while make expanded it; its value is frozen"
        )
    return graph


def _shell(graph: Graph, database: Database, recording: Recording) -> None:
    """SHELL and .SHELLFLAGS: what make really ran (expanded, overrides applied) wins over the database."""
    graph.shell = _variable(database, "SHELL", "/bin/sh")
    posix = database.special(".POSIX") is not None
    graph.shell_flags = _variable(database, ".SHELLFLAGS", "-ec" if posix else "-c")
    recorded = {(inv.shell, inv.flags) for inv in recording.invocations if inv.shell}
    if len(recorded) == 1:
        graph.shell, graph.shell_flags = recorded.pop()
    elif recorded:
        graph.notes.append("recipes ran with different SHELL/.SHELLFLAGS values; the global ones are used")


def _task(
    graph: Graph, target: str, rule: Rule | None, invocations: list[Invocation], ignored: set[int], name: str
) -> Task:
    """One recipe run as a task: its lines with make's prefixes, and what make printed around them."""
    task = Task(name, target)
    task.source = rule.source if rule is not None else ""
    task.also_makes = list(rule.also_makes) if rule is not None else []
    task.directory = invocations[0].directory
    task.env = {k: v for k, v in invocations[0].env.items() if _kept(k, v)}
    raw = _logical(rule.recipe) if rule is not None else []
    messages = []
    for position, inv in enumerate(invocations):
        before = MAKE_MESSAGE.sub("", inv.before)
        echoed = before.endswith(f"{inv.command}\n")
        messages.append(before[: -len(inv.command) - 1] if echoed else before)
        prefix = raw[position] if len(raw) == len(invocations) else ""
        failed_on = inv.status != 0 and id(inv) in ignored
        task.lines.append(Line(inv.command, not echoed, "-" in prefix or failed_on, "+" in prefix))
        words = inv.command.split()[:1]
        if words and words[0].rsplit("/", 1)[-1] in ("make", "gmake"):
            graph.recursive.append(target)
    task.message = "".join(messages)
    if any(messages[1:]):
        graph.notes.append(f"{target}: make's own output between recipe lines is printed before the recipe")
    return task


def _not_run(database: Database, graph: Graph) -> list[str]:
    """Targets with a recipe of their own that make did not run (up to date, or not reached)."""
    ran = {t.target for t in graph.tasks} | {a for t in graph.tasks for a in t.also_makes}
    return sorted(
        name
        for name, rules in database.rules.items()
        if name not in ran
        and any(r.recipe and not r.not_a_target and r.source != "built-in" for r in rules)
        and not name.startswith(".")
        and "%" not in name
    )


def _kept(name: str, value: str) -> bool:
    """Whether a variable make exported is worth a line (``make/recipe`` sets MAKELEVEL=1 itself)."""
    if name == "MAKELEVEL":
        return value != "1"
    return bool(value) or name not in ("MAKEFLAGS", "MFLAGS")


def _variable(database: Database, name: str, default: str) -> str:
    value = database.variables.get(name, "").strip()
    return value if value and "$" not in value else default


def _group(database: Database, recording: Recording) -> list[tuple[str, Rule | None, list[Invocation]]]:
    """Invocations cut into recipe runs: consecutive calls of one target, ``::`` rules apart."""
    groups: list[tuple[str, Rule | None, list[Invocation]]] = []
    used: dict[str, int] = {}
    for inv in recording.invocations:
        rules = [r for r in database.rules.get(inv.target, []) if r.recipe]
        last = groups[-1] if groups else None
        double = len(rules) > 1 and rules[0].double_colon
        if last is not None and last[0] == inv.target:
            rule = last[1]
            if not double or rule is None or len(last[2]) < _calls(rule, database):
                last[2].append(inv)
                continue
        index = used.get(inv.target, 0)
        used[inv.target] = index + 1
        rule = rules[index] if index < len(rules) else (rules[-1] if rules else None)
        groups.append((inv.target, rule, [inv]))
    return groups


def _calls(rule: Rule, database: Database) -> int:
    """How many shell calls a rule's recipe makes (one with ``.ONESHELL``)."""
    return 1 if database.special(".ONESHELL") is not None else max(1, len(_logical(rule.recipe)))


def _logical(recipe: list[str]) -> list[str]:
    """Raw recipe lines joined at backslash-newline; each reduced to its prefix characters."""
    out: list[str] = []
    joined = ""
    for line in recipe:
        joined += line
        if line.endswith("\\") and not line.endswith("\\\\"):
            joined += "\n"
            continue
        match = re.match(r"^[@+\-\s]*", joined)
        out.append(match.group(0) if match else "")
        joined = ""
    if joined:
        out.append(re.match(r"^[@+\-\s]*", joined).group(0))  # type: ignore[union-attr]
    return out


def _task_name(target: str, taken: set[str], index: int) -> str:
    """A valid, unique Argo task name (``[a-z][a-z0-9-]*``) for a target; a hash when changed."""
    base = re.sub(r"[^a-z0-9]+", "-", target.lower()).strip("-") or "target"
    if not base[0].isalpha():
        base = f"t-{base}"
    base = base[:NAME_LIMIT].rstrip("-")
    if index:
        base = f"{base}-{index + 1}"
    candidate = base
    while candidate in taken:  # two targets that sanitise alike: a short hash tells them apart
        digest = hashlib.sha256(f"{target}|{candidate}".encode()).hexdigest()[:6]
        candidate = f"{base}-{digest}"
    return candidate


def _final(graph: Graph, recording: Recording, names: set[str]) -> None:
    """What make did after its last command: intermediate files removed, messages printed."""
    tail = MAKE_MESSAGE.sub("", recording.tail)
    failed = any(inv.status != 0 for inv in recording.invocations[-1:])
    if recording.exit_status != 0 and not failed:
        # make stopped without a failing recipe (no rule for a prerequisite, a parse error)
        stop = "".join(MAKE_MESSAGE.findall(recording.tail)).strip() or f"exit {recording.exit_status}"
        task = Task(_task_name("make-error", names, 0), ".END", message=tail)
        task.lines.append(Line(f"exit {recording.exit_status}", silent=True))
        names.add(task.name)
        graph.tasks.append(task)
        graph.notes.append(
            f"make stopped with {stop!r}; the workflow ends with a task that fails the same way"
        )
        return
    if not tail or recording.exit_status != 0:
        return
    removed = []
    kept = []
    for line in tail.splitlines(keepends=True):
        if line.startswith("rm ") and recording.invocations:
            removed += line[3:].split()
        kept.append(line)
    task = Task(_task_name("make-end", names, 0), ".END", message="".join(kept), cleanup=removed)
    if removed:
        task.lines.append(Line("rm -f -- " + " ".join(_quote(f) for f in removed), silent=True))
    names.add(task.name)
    graph.tasks.append(task)
    if removed:
        graph.notes.append(f"intermediate files removed at the end, as make does: {', '.join(removed)}")


def _quote(name: str) -> str:
    return name if re.fullmatch(r"[\w./+-]+", name) else "'" + name.replace("'", "'\\''") + "'"


def _edges(graph: Graph, database: Database, by_target: dict[str, list[Task]], serial: bool) -> None:
    if serial:
        for before, after in zip(graph.tasks, graph.tasks[1:], strict=False):
            after.depends = [before.name]
        return
    prerequisites = _Prerequisites(database, by_target)
    edges: dict[str, set[str]] = {t.name: set() for t in graph.tasks}
    for task in graph.tasks:
        if task.target != ".END":
            edges[task.name] |= _task_edges(task, database, by_target, prerequisites)
    for rules in database.rules.values():
        for rule in rules:
            _wait_edges(rule, prerequisites, edges)
    for task in graph.tasks:
        if task.target == ".END":
            edges[task.name] = {t.name for t in graph.tasks if t is not task}
    _reduce(graph, edges)


@dataclass
class _Prerequisites:
    """The tasks a prerequisite stands for, followed through make's database without recursion.

    A target that ran a recipe stands for its last task; one that did not (a phony aggregate, a
    source file) for the tasks of its own prerequisites.
    """

    database: Database
    by_target: dict[str, list[Task]]

    def tasks(self, name: str) -> set[str]:
        found: set[str] = set()
        seen: set[str] = set()
        pending = [name]
        while pending:
            current = pending.pop()
            tasks = self.by_target.get(current)
            if tasks:
                found.add(tasks[-1].name)
                continue
            if current in seen:
                continue
            seen.add(current)
            for rule in self.database.rules.get(current, ()):
                pending += [pre for pre in [*rule.prerequisites, *rule.order_only] if pre != ".WAIT"]
        return found


def _task_edges(
    task: Task, database: Database, by_target: dict[str, list[Task]], prerequisites: _Prerequisites
) -> set[str]:
    """The tasks ``task`` waits for.

    Its rule's prerequisites (normal and order-only), those of the targets it also makes (grouped
    targets), and for ``::`` rules the target's previous rule.
    """
    runs = by_target.get(task.target, [])
    index = runs.index(task) if task in runs else 0
    rule = _rule_of(database.rules.get(task.target, []), index)
    own = [rule] if rule is not None else []
    found: set[str] = set()
    for other in [*own, *(r for alias in task.also_makes for r in database.rules.get(alias, []))]:
        for pre in [*other.prerequisites, *other.order_only]:
            if pre != ".WAIT":
                found |= prerequisites.tasks(pre)
    if index > 0:  # ``::`` rules run in makefile order
        found.add(runs[index - 1].name)
    return found


def _rule_of(rules: list[Rule], index: int) -> Rule | None:
    """The rule of the ``index``-th recipe run of a target (``::`` targets have one per rule)."""
    if not rules:
        return None
    if not rules[0].double_colon:
        return rules[0]
    with_recipe = [r for r in rules if r.recipe]
    if index < len(with_recipe):
        return with_recipe[index]
    return rules[index] if index < len(rules) else rules[0]


def _reduce(graph: Graph, edges: dict[str, set[str]]) -> None:
    """``depends`` from the edges: only to tasks make ran earlier, an edge implied by others left out."""
    position = {t.name: i for i, t in enumerate(graph.tasks)}
    ancestors: dict[str, int] = {}  # bit i set: task i runs before (a bitset per task)
    for task in graph.tasks:
        deps = {d for d in edges[task.name] if d != task.name and position[d] < position[task.name]}
        if len(deps) != len(edges[task.name] - {task.name}):
            graph.notes.append(
                f"{task.target}: a prerequisite make ran later is not an edge (a cycle in the recording)"
            )
        mask = 0
        for dep in deps:
            mask |= ancestors[dep] | (1 << position[dep])
        ancestors[task.name] = mask
        # a -> c when a -> b -> c is implied: shorter, same order
        kept = {d for d in deps if not any(ancestors[e] >> position[d] & 1 for e in deps if e != d)}
        task.depends = sorted(kept, key=position.__getitem__)


def _wait_edges(rule: Rule, prerequisites: _Prerequisites, edges: dict[str, set[str]]) -> None:
    """``a .WAIT b``: every task of ``b`` waits for every task of ``a``."""
    if ".WAIT" not in rule.prerequisites:
        return
    before: set[str] = set()
    waited = False
    for pre in rule.prerequisites:
        if pre == ".WAIT":
            waited = True
            continue
        tasks = prerequisites.tasks(pre)
        if waited:
            for task in tasks:
                edges[task] |= before - {task}
        before |= tasks

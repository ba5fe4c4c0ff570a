"""act's test workflows, converted and run with the local engine, reach the outcome act expects.

The cases are act's ``TestRunEvent`` table (``EXPECTED.json``): an empty ``expected_error``
means every job succeeds, otherwise the run fails. Selected are the cases the issue names:
workflows that use only ``run:`` steps, ``actions/checkout``, local composite actions and local
reusable workflows, on Linux runners without job containers or services (those need Docker).
The test prints the count and a table of misses with reasons, and asserts the current count as
a floor. Run it as a script (``python -m tests.convert.test_act_corpus [CASE...]``) to see it all.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT, corpus_path, corpus_root
from wfsync.commands.convert import RunSettings, run_convert_github_actions
from wfsync.convert.gha.runcontext import RunContext

FLOOR = 41
"""Cases that currently reach act's outcome (raise it as the converter improves)."""
TARGET = 0.85

_CHECKOUT = "actions/checkout@"

# What act's harness (pkg/runner/runner_test.go, TestRunEvent) gives every run, so that the cases
# that check these values see what they see under act.
ACT_ACTOR = "nektos/act"
"""act's actor when none is configured (run_context.go getGithubContext)."""
ACT_REPOSITORY = "nektos/act"
"""act's tests run in act's own clone: the repository comes from its git remote."""
ACT_ENV = {"ACT": "true"}
"""act's runner adds ACT=true to every job's env (run_context.go GetEnv)."""
ACT_SECRETS = {"uses-workflow": {"secret": "keep_it_private"}}
"""The table's per-case secrets (every other row passes an empty map)."""
ACT_EVENTS: dict[str, dict[str, Any]] = {
    # pkg/runner/testdata/workflow_dispatch/event.json (not in the corpus snapshot, which keeps
    # only workflows and actions); TestRunEvent passes a case's event.json when it has one.
    "workflow_dispatch": {"inputs": {"required": "required input", "boolean": "true"}},
}


def act_context(root: Path, case: Case) -> RunContext:
    """The run context act's harness gives ``case``: its event.json, secrets, actor, repository."""
    event_file = root / case.folder / "event.json"
    event = json.loads(event_file.read_text(encoding="utf-8")) if event_file.is_file() else None
    return RunContext(
        actor=ACT_ACTOR,
        repository=ACT_REPOSITORY,
        event=event if isinstance(event, dict) else ACT_EVENTS.get(case.folder, {}),
        env=ACT_ENV,
        secrets=ACT_SECRETS.get(case.folder, {}),
    )


@dataclass(frozen=True)
class Case:
    """One row of act's table."""

    folder: str
    event: str
    expected_error: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one case."""

    case: Case
    ok: bool
    reason: str


def _load(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader: no tags
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None


def _triggers(workflow: dict[str, Any]) -> set[str]:
    on = workflow.get("on")
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(x) for x in on}
    if isinstance(on, dict):
        return {str(x) for x in on}
    return set()


def workflows(root: Path, case: Case) -> list[Path]:
    """The case's workflow files that the event triggers (as act picks them)."""
    folder = root / case.folder
    found = []
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        body = _load(path)
        if isinstance(body, dict) and case.event in _triggers(body):
            found.append(path)
    return found


def _action_ok(root: Path, uses: str, seen: set[Path]) -> str | None:
    """None when ``uses`` is checkout or a local composite action made of allowed steps."""
    if uses.startswith(_CHECKOUT):
        return None
    if not uses.startswith("./"):
        return f"uses {uses}"
    folder = (root / uses[2:]).resolve()
    if folder in seen:
        return None
    seen.add(folder)
    action = next((folder / n for n in ("action.yml", "action.yaml") if (folder / n).is_file()), None)
    body = _load(action) if action else None
    if not isinstance(body, dict) or not isinstance(body.get("runs"), dict):
        return None  # an invalid or missing local action: the case expects it to fail
    if body["runs"].get("using") != "composite":
        return f"{uses} is a {body['runs'].get('using')} action"
    for step in body["runs"].get("steps") or []:
        if isinstance(step, dict) and step.get("uses"):
            problem = _action_ok(root, str(step["uses"]), seen)
            if problem:
                return problem
    return None


def exclusion(root: Path, files: list[Path]) -> str | None:
    """Why a case is outside the selection (None when it is in)."""
    if not files:
        return "no workflow for the event"
    for path in files:
        text = path.read_text(encoding="utf-8")
        if any(word in text for word in ("apt-get", "apt install", "sudo ")):
            return "installs system packages (the local engine would run that on this host)"
        body = _load(path)
        assert isinstance(body, dict)
        for job in (body.get("jobs") or {}).values():
            if not isinstance(job, dict):
                continue
            if job.get("container") or job.get("services"):
                return "job container or services (needs Docker)"
            runs_on = json.dumps(job.get("runs-on", ""))
            if any(os_name in runs_on for os_name in ("windows", "macos")):
                return "non-Linux runner"
            uses = job.get("uses")
            if uses and not str(uses).startswith("./"):
                return f"remote reusable workflow {uses}"
            for step in job.get("steps") or []:
                if isinstance(step, dict) and step.get("uses"):
                    problem = _action_ok(root, str(step["uses"]), set())
                    if problem:
                        return problem
    return None


def cases(root: Path) -> list[Case]:
    """act's table without repeated rows."""
    table = json.loads((root / "EXPECTED.json").read_text(encoding="utf-8"))["cases"]
    seen: dict[tuple[str, str], Case] = {}
    for row in table:
        key = (row["dir"], row["event"])
        seen.setdefault(key, Case(row["dir"], row["event"], row["expected_error"]))
    return list(seen.values())


def selected(root: Path) -> Iterator[tuple[Case, list[Path]]]:
    """The cases in scope and their workflow files."""
    for case in cases(root):
        files = workflows(root, case)
        if exclusion(root, files) is None:
            yield case, files


def run_case(job: tuple[Case, list[Path]]) -> Outcome:
    """Convert and run a case's workflows; compare with act's expectation."""
    case, files = job
    with tempfile.TemporaryDirectory(prefix="wfsync-act-") as tmp:
        root = files[0].parent.parent if "/" not in case.folder else files[0].parent.parent.parent
        context = act_context(root, case)
        settings = RunSettings(REPO_ROOT / "library", Path(tmp), event=case.event, root=root, context=context)
        try:
            result = run_convert_github_actions(files, run=settings)
        except Exception as err:  # noqa: BLE001 - a crash is a miss with its reason
            return Outcome(case, False, f"crash: {type(err).__name__}: {err}")
    failures = []
    for w in result.audit.workflows:
        if w.error:
            failures.append(f"{w.source.name}: conversion failed: {w.error}")
        elif w.run != "Succeeded":
            failures.append(f"{w.source.name}: {w.run}: {w.run_message}")
    if case.expected_error:
        if failures:
            return Outcome(case, True, "")
        return Outcome(case, False, f"expected failure ({case.expected_error}) but every workflow Succeeded")
    return Outcome(case, not failures, "; ".join(failures))


def run_all(root: Path, only: set[str] | None = None) -> list[Outcome]:
    """Every selected case's outcome (in worker processes: the runs are independent)."""
    jobs = [(c, f) for c, f in selected(root) if only is None or c.folder in only]
    with ProcessPoolExecutor(max_workers=8) as pool:
        return list(pool.map(run_case, jobs))


def table(outcomes: list[Outcome]) -> str:
    """The count and one line per miss."""
    hits = sum(o.ok for o in outcomes)
    total = len(outcomes)
    lines = [
        f"act corpus: {hits}/{total} selected cases reach act's outcome ({100.0 * hits / max(total, 1):.1f}%)"
    ]
    lines += [f"  MISS {o.case.folder} [{o.case.event}]: {o.reason[:300]}" for o in outcomes if not o.ok]
    return "\n".join(lines)


@pytest.mark.corpus
@pytest.mark.slow
def test_act_cases_reach_acts_outcome() -> None:
    root = corpus_path("gha", "act")
    outcomes = run_all(root)
    print()
    print(table(outcomes))
    assert len(outcomes) >= 40, "the selection shrank: check the corpus and the filter"
    assert sum(o.ok for o in outcomes) >= FLOOR


def test_selection_keeps_only_the_issue_scope() -> None:
    root = corpus_path("gha", "act")
    chosen = {c.folder for c, _ in selected(root)}
    assert "basic" not in chosen  # docker:// steps
    assert "uses-composite" in chosen
    assert "local-action-js" not in chosen


if __name__ == "__main__":
    base = corpus_root() / "gha" / "act"
    print(table(run_all(base, set(sys.argv[1:]) or None)))

"""Conformance over Argo's examples: the verdicts of Argo's own end-to-end expectations.

Every Workflow without the ``workflows.argoproj.io/no-test`` label must Succeed locally, unless
the engine refused it *before running* with an ``unsupported:``/``environment:`` reason (or a
pod met a host command it lacks: ``unsupported:`` on the node). The ones labelled
``expected-failure`` must not Succeed, except where Argo's semantics do make the workflow Succeed
while a node fails (``continueOn``), which the test checks. Examples whose pods exit with
``random.choice`` are reported as nondeterministic when their verdict differs. Pods run with
``--runtime auto``, the command line's default: sandboxed where bwrap works.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest
import yaml

from tests.conftest import corpus_path
from wfsync.engine.executor import Unsupported
from wfsync.engine.run import RunRequest, run
from wfsync.errors import WfsyncError

LABEL = "workflows.argoproj.io/no-test"
MINIMUM_SUCCEEDED = 96
"""The count reached when this test was last raised; raise it as the engine learns more."""
NEEDS_SANDBOX = ("volumes-emptydir.yaml",)
"""Examples only a sandbox runs faithfully (a pod's own /proc and mounts): host processes refuse them."""
RUNTIME = "auto"
"""The sandbox where bwrap works (a pod's /proc and mounts are its own), else host processes."""


def _examples(root: Path) -> list[tuple[Path, bool]]:
    found = []
    for path in sorted(root.rglob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]
        workflows = [d for d in docs if d.get("kind") == "Workflow"]
        if not workflows:
            continue
        label = ((workflows[0].get("metadata") or {}).get("labels") or {}).get(LABEL)
        if label is None:
            found.append((path, True))
        elif label == "expected-failure":
            found.append((path, False))
    return found


def _run(root: Path, state: Path, path: Path, expect_success: bool) -> tuple[str, str, str]:
    name = str(path.relative_to(root))
    with_paths = [root / "configmaps", root / "workflow-template", root / "cluster-workflow-template"]
    random_exit = "random.choice" in path.read_text(encoding="utf-8")
    try:
        result = run(RunRequest(path=path, with_paths=with_paths, state_dir=state, runtime=RUNTIME))
    except Unsupported as exc:
        return "unsupported", name, str(exc)
    except WfsyncError as exc:
        return "wrong", name, f"{type(exc).__name__}: {exc}"
    nodes = list(result.status.nodes.values())
    refused = [n for n in nodes if n.message.startswith("unsupported:")]
    if refused:
        return "unsupported", name, refused[0].message
    phase = result.status.phase
    if expect_success:
        if phase == "Succeeded":
            return "succeeded", name, ""
        kind = "nondeterministic" if random_exit else "wrong"
        return kind, name, f"{phase}: {result.status.message}"
    if phase != "Succeeded":
        return "failed-as-expected", name, phase
    if any(n.phase in ("Failed", "Error") for n in nodes):
        return "failed-as-expected", name, "Succeeded with a failed node (continueOn: Argo's verdict too)"
    kind = "nondeterministic" if random_exit else "wrong"
    return kind, name, "Succeeded without any failure"


@pytest.mark.slow
@pytest.mark.corpus
def test_argo_examples_reach_argos_verdicts(tmp_path: Path) -> None:
    root = corpus_path("argo", "examples")
    examples = _examples(root)
    assert sum(1 for _, ok in examples if ok) == 103
    assert sum(1 for _, ok in examples if not ok) == 7
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda e: _run(root, tmp_path / "state", *e), examples))
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for kind, name, detail in outcomes:
        by_kind.setdefault(kind, []).append((name, detail))
    print()
    for kind in ("succeeded", "failed-as-expected", "unsupported", "nondeterministic", "wrong"):
        entries = by_kind.get(kind, [])
        print(f"{kind}: {len(entries)}")
        if kind != "succeeded":
            for name, detail in entries:
                print(f"  {name}: {detail[:160]}")
    assert not by_kind.get("wrong"), by_kind.get("wrong")
    # an example that exits through random.choice (retry-container: 11 tries at 2/3 failure each)
    # can legitimately fail on Argo too; it counts toward the floor whatever it drew this time
    reached = len(by_kind.get("succeeded", [])) + len(by_kind.get("nondeterministic", []))
    assert reached >= MINIMUM_SUCCEEDED - (0 if _sandboxed() else len(NEEDS_SANDBOX))


def _sandboxed() -> bool:
    """Whether runtime auto is a sandbox here (bwrap installed and allowed)."""
    from wfsync.engine.sandbox import SandboxExecutor, SandboxMissing

    try:
        SandboxExecutor().close()
    except SandboxMissing as exc:
        print(f"no sandbox here ({exc}): {', '.join(NEEDS_SANDBOX)} cannot succeed")
        return False
    return True

"""``wfsync verify`` on both transports: the local engine against the test controller's replay of a local run.

The controller replays frames recorded from a local run of the same file, so a faithful
comparison finds nothing; a script with one changed output or phase must be reported as exactly
that difference.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.cli import test_submit as shared
from tests.cli.test_submit import Argo, pushed, wfsync
from tests.kube.controller import Script

# the fixtures of the submit tests: the repository, the recorded scripts, both transports
repo = shared.repo
scripts = shared.scripts
argo = shared.argo


def _changed(script: Script, change: Any) -> Script:
    """``script`` with ``change(status)`` applied to its last frame."""
    frames = copy.deepcopy(script.frames)
    change(frames[-1])
    return Script(script.name, frames, script.logs, script.workflow)


def _node(status: dict[str, Any], display: str) -> dict[str, Any]:
    (node,) = [n for n in status["nodes"].values() if n["displayName"] == display]
    return node


def test_no_differences(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))
    with argo.controller(scripts["hello"]):
        code, out, err = wfsync("verify", "hello.yaml", "--target", "kube")
    assert code == 0, err + out
    assert "no differences: both Succeeded, 4 nodes" in out


def test_injected_output_difference_reported_once(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))

    def other_output(status: dict[str, Any]) -> None:
        _node(status, "a")["outputs"]["result"] = "bye"

    with argo.controller(_changed(scripts["hello"], other_output)):
        code, out, err = wfsync("verify", "hello.yaml", "--target", "kube", "-o", "json")
    assert code == 1, err
    doc = json.loads(out)
    assert doc["schemaVersion"] == 1 and doc["command"] == "verify"
    assert len(doc["differences"]) == 1, doc["differences"]
    (difference,) = doc["differences"]
    assert difference["path"].endswith("[0].a")
    assert "hello" in difference["local"] and "bye" in difference["remote"]


def test_injected_phase_difference_in_text(argo: Argo, scripts: dict[str, Script]) -> None:
    pushed(wfsync("push", "--yes", "--target", "kube"))

    def b_failed(status: dict[str, Any]) -> None:
        _node(status, "b")["phase"] = "Failed"

    with argo.controller(_changed(scripts["hello"], b_failed)):
        code, out, err = wfsync("verify", "hello.yaml", "--target", "kube")
    assert code == 1, err
    lines = [line for line in out.splitlines() if "[0].b" in line]
    assert len(lines) == 1 and "phase Succeeded here, Failed on Argo" in lines[0], out


def test_target_that_cannot_run_it(argo: Argo) -> None:
    # the library template is not on the target: nothing is submitted, exit 3
    code, _, err = wfsync("verify", "hello.yaml", "--target", "kube")
    assert code == 3
    assert "ClusterWorkflowTemplate/say: missing" in err


def test_embedded_target_refused_before_the_local_run(repo: Any) -> None:
    code, _, err = wfsync("verify", "hello.yaml")
    assert code == 2
    assert "cannot run workflows" in err

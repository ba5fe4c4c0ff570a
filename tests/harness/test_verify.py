"""verify's comparison: the target's run followed quietly and compared with the local Workflow."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.harness.fakes import END, EXPIRE, HELLO_WORKFLOW, INTERRUPT, FakeWorkflows, frame, steps_status
from wfsync.harness.verify import TargetDidNotFinish, verify_remote


def _local(phases: dict[str, str], phase: str) -> dict[str, Any]:
    status = steps_status("hello-local", phases, workflow_phase=phase)
    return {"kind": "Workflow", "metadata": {"name": "hello-local"}, "status": status.to_json()}


def _created(fake: FakeWorkflows) -> dict[str, Any]:
    return fake.create(copy.deepcopy(HELLO_WORKFLOW))


def test_same_runs_have_no_differences() -> None:
    fake = FakeWorkflows(
        [
            frame({"a": "Running", "b": "Running"}),
            END,
            EXPIRE,
            frame({"a": "Succeeded", "b": "Succeeded"}, "Succeeded"),
        ]
    )
    result = verify_remote(fake, _created(fake), _local({"a": "Succeeded", "b": "Succeeded"}, "Succeeded"))
    assert result.differences == []
    assert result.phase == "Succeeded" and result.nodes == 4
    assert result.name == "hello-x0001"


def test_injected_difference_reported_once() -> None:
    fake = FakeWorkflows([frame({"a": "Succeeded", "b": "Failed"}, "Failed")])
    result = verify_remote(fake, _created(fake), _local({"a": "Succeeded", "b": "Succeeded"}, "Succeeded"))
    lines = [str(d) for d in result.differences]
    assert any("phase" in line and "workflow" in line for line in lines)
    assert sum(1 for d in result.differences if d.path.endswith("[0].b") and d.what == "phase") == 1


def test_missing_node_reported() -> None:
    fake = FakeWorkflows([frame({"a": "Succeeded"}, "Succeeded")])
    result = verify_remote(fake, _created(fake), _local({"a": "Succeeded", "b": "Succeeded"}, "Succeeded"))
    assert [d.path for d in result.differences] == ["node hello-local[0].b"]


def test_interrupted_target_run_is_incomplete() -> None:
    fake = FakeWorkflows([INTERRUPT])
    with pytest.raises(TargetDidNotFinish, match="stop it"):
        verify_remote(fake, _created(fake), _local({}, "Succeeded"), still_running="stop it with ...")


def test_offloaded_without_hydration_cannot_be_compared() -> None:
    fake = FakeWorkflows([frame({"a": "Succeeded"}, "Succeeded", offload=True)])
    with pytest.raises(TargetDidNotFinish, match="ARGO_SERVER"):
        verify_remote(fake, _created(fake), _local({"a": "Succeeded"}, "Succeeded"))

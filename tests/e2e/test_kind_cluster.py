"""End to end on a real kind cluster (the e2e-kind GitHub workflow runs these after ``cluster up``).

They need docker (with its daemon), kind and kubectl, and ``WFSYNC_E2E=1``: GitHub's ubuntu
runners ship docker and kind, so without the opt-in the ordinary test job would create clusters.
``WFSYNC_E2E_CLUSTER`` names the cluster (default ``wfsync``); ``cluster up`` creates it if absent.
Each test edits a wfsync.yaml of its own (``--config``), never the repository's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wfsync.harness import kind


def _skip_reason() -> str | None:
    missing = [tool for tool in ("docker", "kind", "kubectl") if shutil.which(tool) is None]
    if missing:
        return f"needs {', '.join(missing)} on PATH (the e2e-kind GitHub workflow provides them)"
    if os.environ.get("WFSYNC_E2E") != "1":
        return "set WFSYNC_E2E=1 to create and use a kind cluster (the e2e-kind GitHub workflow does)"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False, timeout=60)
    if info.returncode != 0:
        return f"the docker daemon is not reachable: {info.stderr.strip()[-200:]}"
    return None


pytestmark = [pytest.mark.slow]
_REASON = _skip_reason()
if _REASON:
    pytestmark.append(pytest.mark.skip(reason=_REASON))

CLUSTER = os.environ.get("WFSYNC_E2E_CLUSTER", kind.DEFAULT_NAME)

WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: e2e-steps-
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: hello
            template: say
            arguments: {parameters: [{name: text, value: hello}]}
        - - name: fails
            template: exit
            continueOn: {failed: true}
    - name: say
      inputs: {parameters: [{name: text}]}
      container: {image: busybox:1.36, command: [echo, "{{inputs.parameters.text}}"]}
    - name: exit
      container: {image: busybox:1.36, command: [sh, -c, "exit 3"]}
"""


def wfsync(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wfsync", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "wfsync.yaml"
    path.write_text("# e2e\nlibrary: library\ntargets:\n  local:\n    type: embedded\n")
    return path


def test_up_is_idempotent_and_status_reads_the_installed_argo(config: Path) -> None:
    first = wfsync("cluster", "up", "--name", CLUSTER, "--config", str(config), cwd=config.parent)
    assert first.returncode == 0, first.stderr
    second = wfsync(
        "cluster", "up", "--name", CLUSTER, "--config", str(config), "-o", "json", cwd=config.parent
    )
    assert second.returncode == 0, second.stderr
    doc = json.loads(second.stdout)
    assert doc["changed"] is False, doc
    status = wfsync(
        "cluster", "status", "--name", CLUSTER, "--config", str(config), "-o", "json", cwd=config.parent
    )
    assert status.returncode == 0, status.stdout + status.stderr
    found = json.loads(status.stdout)
    assert found["ready"] is True and found["target"]["present"] is True
    assert found["argoVersion"] == os.environ.get("ARGO_VERSION", kind.ARGO_VERSION)


def test_verify_matches_on_the_cluster(config: Path) -> None:
    assert (
        wfsync("cluster", "up", "--name", CLUSTER, "--config", str(config), cwd=config.parent).returncode == 0
    )
    path = config.parent / "steps.yaml"
    path.write_text(WORKFLOW)
    done = wfsync(
        "verify", str(path), "--target", kind.context_name(CLUSTER), "-o", "json", cwd=config.parent
    )
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert doc["differences"] == [] and doc["phase"] == "Succeeded"

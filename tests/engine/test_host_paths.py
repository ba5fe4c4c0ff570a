"""Host-process pods: path mapping never rewrites the engine's own programs, empty limits mean none."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wfsync.engine import host


def test_argosay_shim_under_a_mapped_folder_still_runs(
    run_yaml, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A checkout under /tmp puts the shim under /tmp, which every pod maps to its own folder.
    assert str(tmp_path).startswith("/tmp/")
    shim = tmp_path / "checkout" / "argosay.py"
    shim.parent.mkdir()
    shutil.copy(host.ARGOSAY, shim)
    monkeypatch.setattr(host, "ARGOSAY", shim)
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: say}
        spec:
          entrypoint: main
          templates:
          - name: main
            container: {image: argoproj/argosay:v2, args: [echo, hello, /tmp/out]}
            outputs: {parameters: [{name: said, valueFrom: {path: /tmp/out}}]}
        """
    )
    assert result.workflow["status"]["phase"] == "Succeeded", result.workflow["status"].get("message")


def test_empty_timeout_after_substitution_is_no_limit(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: t}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps: [[{name: a, template: leaf, arguments: {parameters: [{name: timeout, value: ""}]}}]]
          - name: leaf
            inputs: {parameters: [{name: timeout}]}
            timeout: "{{inputs.parameters.timeout}}"
            container: {image: alpine:3.20, command: [sh, -c, "true"]}
        """
    )
    assert result.workflow["status"]["phase"] == "Succeeded"

"""Template parallelism around looped tasks that call steps templates (known engine bug, pinned)."""

from __future__ import annotations

import pytest


@pytest.mark.xfail(
    reason="known bug: with parallelism on the DAG, a looped task whose template is a steps template never "
    "completes its StepGroup; the run stops as 'stuck' instead of Succeeded (Argo succeeds)",
    strict=True,
)
def test_parallelism_one_over_looped_steps_template_succeeds(run_yaml) -> None:
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: par}
        spec:
          entrypoint: main
          templates:
            - name: main
              dag: {tasks: [{name: fan, template: wrapper}]}
            - name: wrapper
              parallelism: 1
              dag: {tasks: [{name: leg, template: steps, withItems: [a, b]}]}
            - name: steps
              steps: [[{name: one, template: echo}]]
            - name: echo
              container: {image: "alpine:3.20", command: [sh, -c, "true"]}
        """
    )
    assert result.workflow["status"]["phase"] == "Succeeded"

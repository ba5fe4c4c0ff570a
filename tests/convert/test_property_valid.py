"""Property: any workflow, with hostile names, text and expressions, converts to a valid file.

Hypothesis builds workflows from parts that GitHub accepts but that are hard on a converter:
names with line breaks, ``#``, ``---``, ``{{``, quotes and odd Unicode; scripts with ``{{`` and
``${{ }}`` in quotes; expressions with indexes, filters and event checks in ``if:``, ``env``,
inputs and matrices. Every output must parse, pass lint with the standard library (what
``convert`` itself checks before writing) and validate against Argo's CRDs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import corpus_path
from tests.convert.helpers import rules
from tests.support.crd_schema import validate_document
from wfsync.commands.convert import output_problem, render_yaml
from wfsync.convert.gha import convert_text

HOSTILE_TEXT = (
    st.lists(
        st.sampled_from(
            [*"ab -_:#'\"{}$\\\n\t|>*&!%@`", "{{", "}}", "${{", "---", "\u2028", "é", "\u00a0", "\r"]
        ),
        min_size=1,
        max_size=12,
    )
    .map("".join)
    .map(lambda s: s if s.strip() else "x")
)
EXPRESSIONS = st.sampled_from(
    [
        "github.event_name",
        "github.event.pull_request.title",
        "github.event.commits[0].message",
        "github.event.pull_request.labels.*.name",
        "matrix.v",
        "env.E",
        "secrets.TOKEN",
        "secrets.TOKEN || 'none'",
        "github.event_name == 'push' && 'a' || 'b'",
        "fromJSON('[1, 2]')[1]",
        "format('{0}-{1}', github.ref_name, matrix.v)",
        "steps.first.outputs.out",
        "toJSON(github.event)",
        "hashFiles('**/x')",
    ]
)
CONDITIONS = st.sampled_from(
    [
        "github.event_name == 'push'",
        "always()",
        "failure() && env.E == 'x'",
        "contains(github.event.pull_request.labels.*.name, 'bug')",
        "steps.first.outcome == 'success'",
        "!cancelled() && matrix.v != 'b'",
    ]
)


@st.composite
def workflows(draw: st.DrawFn) -> str:
    expression = lambda: "${{ " + draw(EXPRESSIONS) + " }}"  # noqa: E731
    steps = [
        {
            "id": "first",
            "name": draw(HOSTILE_TEXT),
            "run": f"echo 'out={draw(HOSTILE_TEXT)}' >> $GITHUB_OUTPUT",
        }
    ]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["run", "action", "env-run"]))
        step: dict[str, object] = {"name": draw(HOSTILE_TEXT)}
        if draw(st.booleans()):
            step["if"] = draw(CONDITIONS)
        if kind == "action":
            step["uses"] = draw(
                st.sampled_from(["actions/setup-node@v4", "docker/build-push-action@v6", "acme/thing@v1"])
            )
            step["with"] = {"node-version": expression(), "push": expression(), "tags": draw(HOSTILE_TEXT)}
        else:
            step["run"] = (
                f"echo \"{draw(HOSTILE_TEXT)}\" '{expression()}' {expression()} # {draw(HOSTILE_TEXT)}"
            )
            if kind == "env-run":
                step["env"] = {"A": expression(), "B": f"x-{expression()}-{draw(HOSTILE_TEXT)}"}
        steps.append(step)
    job: dict[str, object] = {
        "name": draw(HOSTILE_TEXT),
        "runs-on": "ubuntu-latest",
        "strategy": {"matrix": {"v": ["a", "b"]}},
        "env": {"E": draw(HOSTILE_TEXT), "F": expression()},
        "steps": steps,
    }
    if draw(st.booleans()):
        job["continue-on-error"] = True
        job["needs"] = "first-job"
    workflow = {
        "name": draw(HOSTILE_TEXT),
        "on": ["push", "pull_request"],
        "jobs": {"first-job": {"runs-on": "ubuntu-latest", "steps": [{"run": "true"}]}, "j": job},
    }
    return json.dumps(workflow)  # JSON is YAML: every hostile character stays data


@pytest.mark.corpus
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(workflows())
def test_every_converted_workflow_is_valid(text: str) -> None:
    if not corpus_path("argo", "crds").exists():
        pytest.skip("needs Argo's CRDs from the shared corpus")
    conversion = convert_text(text, Path("w.yml"), rules())
    assume(conversion.document is not None)  # GitHub itself rejects a few combinations
    assert "internal error" not in conversion.report.error
    rendered = render_yaml(conversion)
    assert output_problem(Path("w.yml"), rendered) is None
    (document,) = yaml.safe_load_all(rendered)
    assert validate_document(document) == []
    for value in _strings(document):
        assert "${{" not in value or value.startswith("{{=") or "{{='{{'}}" in value, value


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []

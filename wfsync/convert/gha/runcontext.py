"""What a GitHub run knows that the workflow file does not: who started it, where, with what event.

A converted workflow reads these as workflow parameters (``github-actor``, ``github-repository``,
``github-event``, one per ``workflow_dispatch``/``workflow_call`` input) whose defaults are
placeholders; whoever submits it sets them. A local ``--run`` takes them from a
:class:`RunContext`, filled like act fills its runner from ``--actor``, ``-e event.json``,
``--env``, ``-s`` and the repository's remote. ``env`` and ``secrets`` are not parameters: the
runner's extra environment (act adds ``ACT=true``) and the secrets a local run has instead of the
Kubernetes Secret go to every ``run:`` step as environment variables.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RunContext:
    """The run's actor, repository (``owner/name``), event payload, extra env and secrets."""

    actor: str = ""
    repository: str = ""
    event: Mapping[str, object] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)

    def parameters(self, inputs: Mapping[str, object]) -> dict[str, str]:
        """Workflow parameter values this context sets; ``inputs`` are the declared event inputs."""
        values: dict[str, str] = {}
        if self.actor:
            values["github-actor"] = self.actor
            values["github-triggering-actor"] = self.actor
        if self.repository:
            values["github-repository"] = self.repository
            values["github-repository-owner"] = self.repository.split("/", 1)[0]
        if self.event:
            values["github-event"] = json.dumps(dict(self.event), separators=(",", ":"))
        given = self.event.get("inputs")
        for name, value in given.items() if isinstance(given, Mapping) else ():
            if name in inputs and value is not None:
                values[str(name)] = _parameter_text(value)
        return values


def _parameter_text(value: object) -> str:
    """An event input as a parameter string (``true``/``false`` for booleans, JSON for objects)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def env_lines(values: Mapping[str, str]) -> str:
    """``KEY=VALUE`` lines for ``shell/run``'s ``env`` (values with a line break cannot be lines)."""
    return "".join(f"{k}={v}\n" for k, v in values.items() if "\n" not in v and "\r" not in v)


def read_event(text: str, source: str) -> dict[str, object]:
    """An event payload (JSON object) read from ``source``; ValueError says what is wrong."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{source}: not JSON: {err.msg} (line {err.lineno})") from None
    if not isinstance(payload, dict):
        raise ValueError(f"{source}: an event payload is a JSON object")
    return payload


STEP_ENV = {
    "GITHUB_ACTOR": "actor",
    "GITHUB_REPOSITORY": "repository",
    "GITHUB_REPOSITORY_OWNER": "repository_owner",
    "GITHUB_EVENT_NAME": "event_name",
    "GITHUB_REF": "ref",
    "GITHUB_REF_NAME": "ref_name",
    "GITHUB_SHA": "sha",
    "GITHUB_RUN_NUMBER": "run_number",
    "GITHUB_SERVER_URL": "server_url",
}
"""``GITHUB_*`` variables every step gets, and the ``github`` field (workflow parameter) each reads."""


def step_environment(job_id: str, workflow: str) -> tuple[dict[str, str], dict[str, str]]:
    """The ``GITHUB_*`` env lines of a step (Argo tags) and the parameters they read, with defaults.

    GitHub's runner sets these for every step; tools (``gh``, test reporters) and scripts read
    them. The run id is the workflow's uid; job and workflow names are known now.
    """
    from wfsync.convert.gha.translate import GITHUB_FIELDS

    lines: dict[str, str] = {}
    parameters: dict[str, str] = {}
    for name, field_name in STEP_ENV.items():
        parameter = "github-" + field_name.replace("_", "-")
        parameters[parameter] = GITHUB_FIELDS[field_name]
        lines[name] = f"{{{{workflow.parameters.{parameter}}}}}"
    lines["GITHUB_RUN_ID"] = "{{workflow.uid}}"
    lines["GITHUB_JOB"] = job_id
    if "\n" not in workflow and "{{" not in workflow:
        lines["GITHUB_WORKFLOW"] = workflow
    return lines, parameters

"""Checks of a reusable-workflow call against the called workflow, as GitHub makes them.

Inputs and secrets the call gives must be declared (and required ones given); the permissions
the called workflow asks for must not exceed what the caller grants.
"""

from __future__ import annotations

from wfsync.convert.gha.schema import Problem
from wfsync.convert.gha.yaml12 import YNode, scalar_text


def _workflow_call(called: YNode) -> YNode | None:
    on = called.get("on")
    if on is None or on.kind != "mapping":
        return None
    return on.get("workflow_call")


def check_call_inputs(job: YNode, uses: YNode, called: YNode) -> list[Problem]:
    """The call's ``with:`` and ``secrets:`` against the called workflow's ``on.workflow_call``."""
    problems: list[Problem] = []
    call = _workflow_call(called)
    inputs = call.get("inputs") if call is not None and call.kind == "mapping" else None
    definitions = {
        k.text(): v for k, v in (inputs.pairs if inputs is not None and inputs.kind == "mapping" else [])
    }
    with_node = job.get("with")
    given = {
        k.text(): v
        for k, v in (with_node.pairs if with_node is not None and with_node.kind == "mapping" else [])
    }
    for name, value in given.items():
        definition = definitions.get(name)
        if definition is None:
            key = next(k for k, _ in with_node.pairs if k.text() == name)  # type: ignore[union-attr]
            problems.append(
                Problem(
                    key.line, key.column, f"Invalid input, {name} is not defined in the referenced workflow."
                )
            )
            continue
        kind = definition.get("type") if definition.kind == "mapping" else None
        if kind is None or value.kind == "string" and "${{" in value.value:
            continue
        wanted = scalar_text(kind.value)
        if wanted == "boolean" and value.kind != "boolean" or wanted == "number" and value.kind != "number":
            problems.append(Problem(value.line, value.column, f"Unexpected value '{value.text()}'"))
    for name, definition in definitions.items():
        required = definition.get("required") if definition.kind == "mapping" else None
        if required is not None and required.value is True and name not in given:
            problems.append(
                Problem(uses.line, uses.column, f"Input {name} is required, but not provided while calling.")
            )
    problems.extend(_check_call_secrets(job, uses, call))
    return problems


def _check_call_secrets(job: YNode, uses: YNode, call: YNode | None) -> list[Problem]:
    secrets = job.get("secrets")
    if secrets is not None and secrets.kind == "string":
        return []  # inherit (other strings are schema errors)
    defined = call.get("secrets") if call is not None and call.kind == "mapping" else None
    definitions = {
        k.text(): v for k, v in (defined.pairs if defined is not None and defined.kind == "mapping" else [])
    }
    given = {
        k.text(): k for k, _ in (secrets.pairs if secrets is not None and secrets.kind == "mapping" else [])
    }
    problems: list[Problem] = []
    for name, key in given.items():
        if name not in definitions:
            problems.append(
                Problem(
                    key.line, key.column, f"Invalid secret, {name} is not defined in the referenced workflow."
                )
            )
    for name, definition in definitions.items():
        required = definition.get("required") if definition.kind == "mapping" else None
        if required is not None and required.value is True and name not in given:
            problems.append(
                Problem(uses.line, uses.column, f"Secret {name} is required, but not provided while calling.")
            )
    return problems


_SCOPES = (
    "actions", "checks", "contents", "deployments", "discussions", "issues", "packages", "pages",
    "pull-requests", "repository-projects", "statuses", "security-events", "id-token",
)  # fmt: skip
_LEVELS = {"none": 0, "read": 1, "write": 2}
_LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}


def policy(name: str) -> dict[str, int]:
    """The permissions a repository policy grants (``LimitedRead`` or any other: write-all)."""
    if name == "LimitedRead":
        return {scope: 1 if scope in ("contents", "packages") else 0 for scope in _SCOPES}
    return dict.fromkeys(_SCOPES, 2)


def permissions(node: YNode | None) -> dict[str, int] | None:
    """A ``permissions`` value as levels per scope (unlisted scopes get none), or ``None`` when absent."""
    if node is None:
        return None
    if node.kind == "string" and node.value in ("read-all", "write-all"):
        return dict.fromkeys(_SCOPES, 1 if node.value == "read-all" else 2)
    levels = dict.fromkeys(_SCOPES, 0)
    for key, value in node.pairs if node.kind == "mapping" else []:
        if key.text() in levels:
            levels[key.text()] = _LEVELS.get(value.text(), 0)
    return levels


def _excess(requested: dict[str, int], granted: dict[str, int]) -> tuple[str, str] | None:
    over = [s for s in _SCOPES if requested.get(s, 0) > granted.get(s, 0)]
    if not over:
        return None
    asked = ", ".join(f"{s}: {_LEVEL_NAMES[requested[s]]}" for s in over)
    allowed = ", ".join(f"{s}: {_LEVEL_NAMES[granted.get(s, 0)]}" for s in over)
    return asked, allowed


def check_call_permissions(uses: YNode, called: YNode, granted: dict[str, int]) -> list[Problem]:
    """The called workflow and its jobs may not ask for more than the calling job has."""
    prefix = f"Error calling workflow '{uses.value}'."
    problems = []
    workflow_level = permissions(called.get("permissions"))
    if workflow_level is not None:
        excess = _excess(workflow_level, granted)
        if excess:
            problems.append(
                Problem(
                    uses.line,
                    uses.column,
                    f"{prefix} The workflow '{uses.value}' is requesting '{excess[0]}', but is only allowed '{excess[1]}'.",
                )
            )
    jobs = called.get("jobs")
    for key, job in jobs.pairs if jobs is not None and jobs.kind == "mapping" else []:
        if job.kind != "mapping" or job.get("uses") is not None:
            continue
        own = permissions(job.get("permissions"))
        excess = _excess(own, granted) if own is not None else None
        if excess:
            name_node = job.get("name")
            name = name_node.text() if name_node is not None else key.text()
            problems.append(
                Problem(
                    uses.line,
                    uses.column,
                    f"{prefix} The nested job '{name}' is requesting '{excess[0]}', but is only allowed '{excess[1]}'.",
                )
            )
    return problems


# Model ------------------------------------------------------------------------------------------

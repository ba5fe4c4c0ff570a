"""Name formats and lengths, as Argo and the Kubernetes API server enforce them."""

from __future__ import annotations

import re

from wfsync import safepath

FIELD_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")
"""Templates, steps and tasks (``workflowFieldNameFmt`` in validate.go)."""
FIELD_NAME_MAX = 128
PARAM_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")
"""Parameters and artifacts (``paramOrArtifactNameRegex``)."""
WORKFLOW_NAME_MAX = 63
"""Workflow names end up in pod names and label values (``maxCharsInObjectName``)."""
CRON_WORKFLOW_NAME_MAX = 52
"""CronWorkflows append an 11-character timestamp suffix to their Workflows' names."""
SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)


def field_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid template, step or task name, or None."""
    if len(name) > FIELD_NAME_MAX:
        return f"must not be more than {FIELD_NAME_MAX} characters long (currently {len(name)})"
    if not FIELD_NAME.match(name):
        return (
            "must consist of alpha-numeric characters or '-', and must start with an alpha-numeric character"
        )
    return None


def param_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid parameter or artifact name, or None."""
    if not PARAM_NAME.match(name):
        return "must consist of alpha-numeric characters, '_' or '-'"
    return None


def object_name_problem(name: str, kind: str, *, generate: bool = False) -> str | None:
    """Why ``name`` cannot be ``metadata.name`` (or ``generateName``) of a ``kind``, or None."""
    limit = {"Workflow": WORKFLOW_NAME_MAX, "CronWorkflow": CRON_WORKFLOW_NAME_MAX}.get(
        kind, safepath.DNS_SUBDOMAIN_MAX
    )
    if len(name) > limit:
        return f"must not be more than {limit} characters long (currently {len(name)})"
    checked = name.rstrip("-.") if generate else name  # a generated suffix follows a final '-' or '.'
    return safepath.name_problem(checked) if checked else None

"""A converted workflow made runnable by the local engine (``convert github-actions --run``).

The document points at a local checkout, carries the run's context (act's ``-e``, ``--env``,
``--secret``), and uses images the engine has host stand-ins for. Which images those are is the
engine's knowledge: the command passes it in (``has_stand_in``), so the converter does not
import the engine.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from wfsync.convert.gha.composite import repository_root as source_root
from wfsync.convert.gha.runcontext import RunContext, env_lines
from wfsync.convert.gha.script import env_value
from wfsync.model.spec_types import Parameter, WorkflowStep
from wfsync.model.walk import steps_and_tasks

LOCAL_RUNNER_IMAGE = "ubuntu:22.04"
"""Stand-in for runner images the local engine cannot run (it maps well-known images to host tools)."""
LOCAL_GIT_IMAGE = "alpine:3.20"
"""Stand-in for ``alpine/git`` in ``git-checkout``: the host's git does the checkout."""

Call = WorkflowStep
"""A step or task of the document (``templateRef``, ``arguments``), changed in place."""

__all__ = ["LOCAL_GIT_IMAGE", "LOCAL_RUNNER_IMAGE", "RunSettings", "localize", "source_root"]


@dataclass(frozen=True)
class RunSettings:
    """How ``--run`` runs converted workflows: the library for ``templateRef``s and a state folder."""

    library: Path | None
    state_dir: Path
    event: str = "push"
    root: Path | None = None
    """The repository checked out for ``actions/checkout`` (default: the one holding ``.github``)."""
    context: RunContext = field(default_factory=RunContext)
    """Actor, repository, event payload, extra env and secrets of the run (act's ``-e``, ``-s`` ...)."""


def localize(
    document: dict[str, Any],
    repo: Path,
    event: str,
    context: RunContext | None,
    has_stand_in: Callable[[str], bool],
) -> dict[str, Any]:
    """The converted document as the local engine can run it.

    The repository parameter points at the local checkout source, the event name and the
    context's values (actor, repository, event payload and inputs) are set, and images the
    engine has no host stand-in for (runner images such as catthehacker's) become a plain
    Ubuntu, whose tools the host provides. The context's env goes to every ``run:`` step, and its
    secrets to the steps that read the Secret ``github-secrets``, which a local run does not have.
    """
    context = context or RunContext()
    doc = copy.deepcopy(document)
    spec = doc["spec"].get("workflowSpec", doc["spec"]) if doc.get("kind") == "CronWorkflow" else doc["spec"]
    _set_parameters(spec, repo, event, context)
    for template in spec.get("templates") or []:
        for caller in steps_and_tasks(template):  # the model's walker: every step and task
            _localize_call(cast(Call, caller.node), context, has_stand_in)
        container = template.get("container")
        if isinstance(container, dict) and not has_stand_in(str(container.get("image", ""))):
            container["image"] = LOCAL_RUNNER_IMAGE
    return doc


def _set_parameters(spec: dict[str, Any], repo: Path, event: str, context: RunContext) -> None:
    """The repository (``file://``), the event name and the context's values as parameter values."""
    declared = (spec.get("arguments") or {}).get("parameters") or []
    values = context.parameters({str(p.get("name")): p for p in declared})
    for param in declared:
        if param.get("name") == "repo":
            param["value"] = repo.as_uri()  # file:// keeps the engine from mapping the path into the pod
        if param.get("name") == "github-event-name":
            param["value"] = event
        if param.get("name") in values:
            param["value"] = values[param["name"]]


def _localize_call(call: Call, context: RunContext, has_stand_in: Callable[[str], bool]) -> None:
    """One library call: local images, the context's env and secrets, GitHub's default timeout."""
    ref = call.get("templateRef") or {}
    params = (call.get("arguments") or {}).get("parameters") or []
    if ref.get("name") == "git-checkout" and not any(p.get("name") == "image" for p in params):
        _append(call, "image", LOCAL_GIT_IMAGE)
    if ref.get("name") in ("shell", "github-action"):  # --env, and --secret for secret-env readers
        _add_env(call, params, context)
    if ref.get("name") == "shell" and ref.get("template") == "step":
        if not any(p.get("name") == "image" for p in params):
            # shell/step's default is the ubuntu-latest runner image, which has no host stand-in.
            params = _append(call, "image", LOCAL_RUNNER_IMAGE)
    if ref.get("name") == "shell" and not any(p.get("name") == "timeout" for p in params):
        # GitHub's default limit; also keeps the engine off shell/run's empty default.
        _append(call, "timeout", "360m")
    for param in params:
        value = str(param.get("value", ""))
        if param.get("name") == "image" and "{{" not in value and not has_stand_in(value):
            param["value"] = LOCAL_RUNNER_IMAGE


def _append(call: Call, name: str, value: str) -> list[Parameter]:
    """Add an argument parameter to the call; its parameter list (created when missing)."""
    params = call.setdefault("arguments", {}).setdefault("parameters", [])
    params.append({"name": name, "value": value})
    return params


def _add_env(call: Call, params: list[Parameter], context: RunContext) -> None:
    """The context's env (and, for steps reading ``github-secrets``, its secrets) as env lines.

    For ``shell/setup`` and ``shell/step`` the env goes to the job (setup) and the secrets to the
    step, in their ``env`` line form, so that GITHUB_ENV still overrides the env as on GitHub.
    """
    template = (call.get("templateRef") or {}).get("template")
    secrets = context.secrets if any(p.get("name") == "secret-env" for p in params) else {}
    if template in ("setup", "step"):
        extra = dict(context.env) if template == "setup" else dict(secrets)
        lines = "".join(f"{k}={env_value(v)}\n" for k, v in extra.items())
    else:
        extra = {**context.env, **secrets}
        lines = env_lines(extra)
    if not extra:
        return
    env = next((p for p in params if p.get("name") == "env"), None)
    if env is None:
        env = Parameter(name="env", value="")
        call.setdefault("arguments", {}).setdefault("parameters", []).append(env)
    env["value"] = lines + str(env.get("value", ""))

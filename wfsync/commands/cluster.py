"""``wfsync cluster up|down|status``: a kind cluster with Argo, and its target in ``wfsync.yaml``.

Which ``wfsync.yaml``: ``--config FILE`` when given (created, minimal, if it does not exist: the
user named it), else the one of the repository around the current folder. Outside a
repository nothing is created: a file appearing in whatever folder the command ran from would
silently turn it into a wfsync repository, so ``up`` prints the target to add instead. The file
is validated before the cluster is touched: an invalid one is refused (exit 2), never rewritten.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from wfsync.config import CONFIG_FILE, DEFAULT_TARGET, find_root, load_config
from wfsync.errors import UsageError
from wfsync.harness import kind
from wfsync.harness.kind import Action, ClusterStatus, Step, UpRequest
from wfsync.harness.targetfile import (
    MINIMAL_CONFIG,
    kind_target,
    read_config_text,
    remove_target,
    upsert_target,
    write_config_text,
)
from wfsync.harness.tools import SubprocessTools, Tools
from wfsync.model.targets import Target


@dataclasses.dataclass(frozen=True)
class TargetChange:
    """What happened to the cluster's target in ``wfsync.yaml``."""

    name: str
    spec: dict[str, object]
    action: Action
    path: Path | None = None
    """The file changed or checked; None outside a repository (nothing written)."""
    default_cleared: bool = False
    created_file: bool = False

    @property
    def changed(self) -> bool:
        """Whether the file was written."""
        return self.action in (Action.CREATED, Action.UPDATED, Action.REMOVED)


@dataclasses.dataclass(frozen=True)
class UpResult:
    """``cluster up``: the steps taken and the target."""

    request: UpRequest
    steps: tuple[Step, ...]
    target: TargetChange

    @property
    def context(self) -> str:
        """The cluster's kubeconfig context."""
        return kind.context_name(self.request.name)

    @property
    def changed(self) -> bool:
        """Whether anything (cluster, Argo, RBAC, file) changed."""
        return self.target.changed or any(step.changed for step in self.steps)


@dataclasses.dataclass(frozen=True)
class DownResult:
    """``cluster down``: the cluster and the target."""

    step: Step
    target: TargetChange


@dataclasses.dataclass(frozen=True)
class StatusResult:
    """``cluster status``: the cluster and whether ``wfsync.yaml`` has its target."""

    cluster: ClusterStatus
    target: str
    target_present: bool | None
    """None outside a repository (no ``wfsync.yaml`` to look in)."""
    config: Path | None

    @property
    def ready(self) -> bool:
        """Cluster up and Argo available (the target is reported, not required)."""
        return self.cluster.ready


def config_path(cwd: Path, config: Path | None) -> tuple[Path | None, bool]:
    """The ``wfsync.yaml`` to use and whether the user named it (``--config``)."""
    if config is not None:
        path = config / CONFIG_FILE if config.is_dir() else config
        if path.name != CONFIG_FILE:
            raise UsageError(f"--config must name a {CONFIG_FILE} file or its folder, not {config}")
        if not path.parent.is_dir():
            raise UsageError(f"--config: folder {path.parent} does not exist")
        return path, True
    root = find_root(cwd)
    return (root / CONFIG_FILE if root is not None else None), False


def _validated(path: Path | None, target: str | None = None, context: str | None = None) -> bool:
    """Whether ``path`` exists; an existing file must be a valid configuration (exit 2 otherwise).

    With ``target``: that target, if configured, must be this cluster's (or an older kind
    cluster's) and not the embedded ``local`` one, so ``--target-name prod`` never rewrites or
    removes a target that points somewhere else.
    """
    if path is None or not path.exists():
        return False
    found = load_config(path.parent)
    if target is not None:
        _check_ours(found.targets.get(target), target, context, path)
    return True


def _check_ours(existing: Target | None, name: str, context: str | None, path: Path) -> None:
    if name == DEFAULT_TARGET:
        raise UsageError(f"target {name!r} is the embedded cluster; choose another --target-name")
    if existing is None or existing.context is None or existing.context == context:
        return
    if not existing.context.startswith("kind-"):
        raise UsageError(
            f"target {name!r} in {path} points to context {existing.context!r}, not {context!r}; "
            "choose another --target-name or remove that target first"
        )


def _target_name(name: str, target_name: str | None) -> str:
    """The target's name, after the cluster's name is checked (usage errors before any work)."""
    kind.check_name(name)
    return kind.check_name(target_name or kind.context_name(name), "target name")


def run_up(
    request: UpRequest,
    *,
    cwd: Path,
    config: Path | None = None,
    target_name: str | None = None,
    tools: Tools | None = None,
    note: Callable[[str], None] | None = None,
) -> UpResult:
    """Cluster, Argo, RBAC and target, each only if missing or different."""
    tools = tools or SubprocessTools()
    target = _target_name(request.name, target_name)
    kind.check_version(request.argo_version)
    kind.check_image(request.node_image)
    path, explicit = config_path(cwd, config)
    exists = _validated(path, target, kind.context_name(request.name))  # refused before anything is created
    steps = kind.up(tools, request, note=note)
    spec = kind_target(kind.context_name(request.name))
    if path is None or (not exists and not explicit):
        return UpResult(request, tuple(steps), TargetChange(target, spec, Action.ABSENT))
    text = read_config_text(path) if exists else MINIMAL_CONFIG
    edit = upsert_target(text, target, spec, path=path)
    if edit.action is not Action.UNCHANGED or not exists:
        write_config_text(path, edit.text)
        load_config(path.parent)  # what was written reads back as a valid configuration
    change = TargetChange(target, spec, edit.action, path, created_file=not exists)
    return UpResult(request, tuple(steps), change)


def run_down(
    name: str,
    *,
    cwd: Path,
    config: Path | None = None,
    target_name: str | None = None,
    tools: Tools | None = None,
    note: Callable[[str], None] | None = None,
) -> DownResult:
    """Delete the cluster (if it exists) and remove its target (and ``defaultTarget`` naming it)."""
    tools = tools or SubprocessTools()
    target = _target_name(name, target_name)
    path, _ = config_path(cwd, config)
    exists = _validated(path, target, kind.context_name(name))
    step = kind.down(tools, name, note=note)
    spec = kind_target(kind.context_name(name))
    if path is None or not exists:
        return DownResult(step, TargetChange(target, spec, Action.ABSENT))
    edit = remove_target(read_config_text(path), target, path=path)
    if edit.action is Action.REMOVED:
        write_config_text(path, edit.text)
    return DownResult(
        step, TargetChange(target, spec, edit.action, path, default_cleared=edit.default_cleared)
    )


def run_status(
    name: str,
    *,
    cwd: Path,
    config: Path | None = None,
    target_name: str | None = None,
    tools: Tools | None = None,
) -> StatusResult:
    """The cluster's state and whether its target is configured."""
    tools = tools or SubprocessTools()
    target = _target_name(name, target_name)
    path, _ = config_path(cwd, config)
    present: bool | None = None
    if _validated(path) and path is not None:
        present = target in load_config(path.parent).targets
    return StatusResult(kind.status(tools, name), target, present, path)

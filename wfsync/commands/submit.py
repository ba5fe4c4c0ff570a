"""``wfsync submit``, ``stop`` and ``verify``: a real Argo, reached through a target or the Argo Server.

The transport is the Argo Server when ``ARGO_SERVER`` is set (as the ``argo`` CLI decides), else
the target's Kubernetes context. The library templates the workflow refers to are checked on the
target (and pushed there with ``--push-templates``) before the workflow is created, so a run never
uses a template other than the one in git.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from wfsync.cluster.api import Cluster, ClusterError, Obj, identity_of
from wfsync.cluster.workflows import Workflows
from wfsync.commands.context import repository_config
from wfsync.config import Config
from wfsync.errors import CompletionError, UsageError
from wfsync.harness.references import Problem, TemplateProblem, problems, referenced
from wfsync.harness.submit import apply_options, from_reference, read_workflow
from wfsync.harness.verify import Verification
from wfsync.model.documents import Identity
from wfsync.model.targets import Target
from wfsync.sync.plan import Action, Plan
from wfsync.sync.references import references

ARGO_SERVER_ENV = "ARGO_SERVER"
ARGO_NAMESPACE_ENV = "ARGO_NAMESPACE"


@dataclasses.dataclass
class Transport:
    """Where workflows go, and the target (and repository) the command runs for, when there is one."""

    workflows: Workflows
    config: Config | None
    target: Target | None

    @property
    def target_option(self) -> str:
        """``--target T`` to repeat in hints ('' for the default target or none)."""
        if self.target is None or self.config is None or self.target.name == self.config.default_target:
            return ""
        return f" --target {self.target.name}"


def open_transport(cwd: Path, target_name: str | None, env: Mapping[str, str] | None = None) -> Transport:
    """The Argo Server (``ARGO_SERVER``), else the target's Kubernetes context; no request is sent yet."""
    from wfsync.commands.syncstate import open_cluster, require_config, resolve_target

    env = os.environ if env is None else env
    config = repository_config(cwd) if target_name is None else require_config(cwd)
    target = resolve_target(config, target_name) if config is not None else None
    if env.get(ARGO_SERVER_ENV):
        from wfsync.cluster.argo_server import from_environment

        namespace = target.namespace if target is not None else env.get(ARGO_NAMESPACE_ENV) or "default"
        server = from_environment(env, namespace)
        if server is not None:
            return Transport(server, config, target)
    config = require_config(cwd)
    target = target or resolve_target(config, target_name)
    if target.type != "kubernetes":
        raise UsageError(
            f"target {target.name!r} is an embedded store and cannot run workflows: run it on this machine "
            "with 'wfsync run FILE', choose a Kubernetes target with --target, or set ARGO_SERVER"
        )
    from wfsync.cluster.kube_workflows import KubernetesWorkflows
    from wfsync.cluster.kubernetes import KubernetesCluster

    cluster = open_cluster(config, target)
    assert isinstance(cluster, KubernetesCluster)
    return Transport(KubernetesWorkflows(cluster, target.namespace), config, target)


@dataclasses.dataclass(frozen=True)
class SubmitRequest:
    """What to submit: a file or ``--from KIND/NAME``, and the submit options."""

    path: Path | None = None
    from_ref: str | None = None
    parameters: Sequence[str] = ()
    parameter_file: Path | None = None
    entrypoint: str | None = None
    push_templates: bool = False


@dataclasses.dataclass(frozen=True)
class Draft:
    """The Workflow as read and linted, and the parameters to apply once the namespace is known."""

    workflow: Obj
    parameters: list[tuple[str, str]]
    entrypoint: str | None

    def for_namespace(self, namespace: str) -> Obj:
        """The Workflow to create in ``namespace``, options applied."""
        return apply_options(
            self.workflow, namespace=namespace, parameters=self.parameters, entrypoint=self.entrypoint
        )


def draft(request: SubmitRequest) -> Draft:
    """Read, lint and check the options: every input error comes here, before any cluster is opened."""
    from wfsync.commands.run import parse_parameters
    from wfsync.engine.run import load_parameter_file

    if (request.path is None) == (request.from_ref is None):
        raise UsageError("give either FILE or --from KIND/NAME (one of them)")
    pairs = load_parameter_file(request.parameter_file) if request.parameter_file is not None else []
    pairs.extend(parse_parameters(request.parameters))
    if request.path is not None:
        base = read_workflow(request.path)
    else:
        base = from_reference(str(request.from_ref))
    made = Draft(base, pairs, request.entrypoint)
    made.for_namespace("default")  # entrypoint and names checked now
    return made


@dataclasses.dataclass
class TemplateCheck:
    """The referenced templates, what was pushed of them, and what is still wrong (refused)."""

    checked: list[Identity] = dataclasses.field(default_factory=list)
    pushed: list[tuple[Identity, str]] = dataclasses.field(default_factory=list)
    problems: list[TemplateProblem] = dataclasses.field(default_factory=list)
    skipped: str = ""
    """Why nothing was checked (no repository, no Kubernetes target for the Argo Server)."""


class TemplatesRefused(CompletionError):
    """Referenced templates are missing or differ on the target; nothing was created."""

    def __init__(self, check: TemplateCheck) -> None:
        self.check = check
        lines = [f"{p.identity}: {p.problem.value}: {p.detail} ({_hint(p)})" for p in check.problems]
        super().__init__(
            f"{len(lines)} referenced template(s) not as in the library, nothing was submitted:\n  "
            + "\n  ".join(lines)
        )


def _hint(problem: TemplateProblem) -> str:
    """What fixes one refused template."""
    if problem.pushable:
        return "push it with --push-templates, or run 'wfsync push'"
    if problem.problem is Problem.DRIFTED:
        return "review the edit, then 'wfsync push --force' restores the library's version"
    if problem.problem is Problem.FOREIGN:
        return "wfsync does not take it over: delete it on the target, or rename the library's template"
    return "it is not in the library: add it there, or create it on the target"


def check_templates(cwd: Path, transport: Transport, workflow: Obj, *, push: bool) -> TemplateCheck:
    """Check (or push, with ``push``) every template ``workflow`` refers to on the transport's target.

    Raises :class:`TemplatesRefused` when any is missing or differs afterwards.
    """
    config, target = transport.config, transport.target
    if config is None or target is None:
        return TemplateCheck(skipped="no wfsync.yaml here: referenced templates were not checked")
    if target.type != "kubernetes":
        return TemplateCheck(
            skipped=f"target {target.name!r} is not a Kubernetes target: referenced templates were not checked"
        )
    from wfsync.commands.push import prepare_push
    from wfsync.commands.syncstate import sync_state

    namespace = str((workflow.get("metadata") or {}).get("namespace") or target.namespace)
    if not references(workflow, namespace):  # nothing to check: no need to read the library
        return TemplateCheck()
    if not push:
        state = sync_state(cwd, target.name, None)
        check = _check(workflow, namespace, state.plan, state.live, state.cluster)
        if check.problems:
            raise TemplatesRefused(check)
        return check
    with prepare_push(cwd, target=target.name, ref=None, prune=False, force=False) as prepared:
        if prepared.state is None:
            raise CompletionError(
                f"the library has {prepared.lint.errors} lint error(s), so no template was pushed and nothing"
                " was submitted: run 'wfsync lint'"
            )
        state = prepared.state
        check = _check(workflow, namespace, state.plan, state.live, state.cluster)
        check.pushed = _push(check, state.plan, state.cluster, state.library.root)
        done = {ident for ident, _ in check.pushed}
        check.problems = [p for p in check.problems if p.identity not in done]
    if check.problems:
        raise TemplatesRefused(check)
    return check


def _check(
    workflow: Obj, namespace: str, plan: Plan, live_objects: list[Obj], cluster: Cluster
) -> TemplateCheck:
    changes = {c.identity: c for c in plan.changes}
    live = {identity_of(o): o for o in live_objects}
    fetched: dict[Identity, Obj | None] = {}

    def fetch(ident: Identity) -> Obj | None:
        if ident not in fetched:
            fetched[ident] = cluster.get(ident.kind, ident.namespace or None, ident.name)
        return fetched[ident]

    def body(ident: Identity) -> Mapping[str, object] | None:
        change = changes.get(ident)
        if change is not None and change.desired is not None:
            return change.desired.body
        return live.get(ident) or fetch(ident)

    wanted = referenced(workflow, namespace, body)
    present = {**live, **{i: o for i, o in fetched.items() if o is not None}}
    for ident in wanted:  # not in the library and not listed: ask for it
        if ident not in changes and ident not in present:
            found = fetch(ident)
            if found is not None:
                present[ident] = found
    return TemplateCheck(checked=wanted, problems=problems(wanted, changes, present))


def _push(check: TemplateCheck, plan: Plan, cluster: Cluster, root: Path) -> list[tuple[Identity, str]]:
    """Push the library's versions of the missing and outdated templates (as ``wfsync push`` would)."""
    from wfsync.sync.apply import apply_plan
    from wfsync.sync.locate import locator

    todo = {p.identity for p in check.problems if p.pushable}
    subset = tuple(
        c for c in plan.changes if c.identity in todo and c.action in (Action.CREATE, Action.UPDATE)
    )
    if not subset:
        return []
    result = apply_plan(Plan(subset), cluster, locate=locator(root))
    pushed = [(c.identity, verb) for c, verb in result.applied]
    if result.failed is not None:
        change, err = result.failed
        done = ", ".join(str(i) for i, _ in pushed) or "nothing"
        raise CompletionError(
            f"pushing {change.identity} failed: {err} (pushed before it: {done}); nothing was submitted"
        )
    return pushed


@dataclasses.dataclass
class Submitted:
    """A created workflow and what was checked or pushed before it."""

    workflow: Obj
    transport: Transport
    templates: TemplateCheck

    @property
    def name(self) -> str:
        """The workflow's name (generated by the server)."""
        return str((self.workflow.get("metadata") or {}).get("name") or "")


def submit_workflow(
    cwd: Path, request: SubmitRequest, target_name: str | None, env: Mapping[str, str] | None = None
) -> Submitted:
    """Prepare (no request), open the transport, check or push templates, then create the workflow."""
    made = draft(request)
    transport = open_transport(cwd, target_name, env)
    workflow = made.for_namespace(transport.workflows.namespace)
    check = check_templates(cwd, transport, workflow, push=request.push_templates)
    created = transport.workflows.create(workflow)
    return Submitted(created, transport, check)


def stop_workflow(
    cwd: Path, name: str, target_name: str | None, message: str = "", env: Mapping[str, str] | None = None
) -> Transport:
    """Stop the workflow ``name`` as ``argo stop`` does (exit handlers still run)."""
    from wfsync import safepath

    safepath.check_name(name, what="workflow name")
    transport = open_transport(cwd, target_name, env)
    transport.workflows.stop(name, message)
    return transport


def still_running(name: str, transport: Transport) -> str:
    """What to say when following ends before the workflow does."""
    return f"workflow {name} is still running; stop it with: wfsync stop {name}{transport.target_option}"


def verify_workflow(
    cwd: Path,
    path: Path,
    target_name: str | None,
    *,
    parameters: Sequence[str] = (),
    parameter_file: Path | None = None,
    entrypoint: str | None = None,
    env: Mapping[str, str] | None = None,
    on_remote: Callable[[Submitted], None] | None = None,
) -> Verification:
    """Run ``path`` locally and on the target, and compare the two (exit 3 when the target cannot run it)."""
    from wfsync.commands.run import run_workflow
    from wfsync.harness.verify import verify_remote

    request = SubmitRequest(path, None, parameters, parameter_file, entrypoint)
    draft(request)  # refuse bad input before running anything
    open_transport(cwd, target_name, env)  # and a target that cannot run it
    local = run_workflow(
        path, cwd=cwd, parameters=parameters, parameter_file=parameter_file, entrypoint=entrypoint
    )
    if local.interrupted:
        raise CompletionError(f"the local run was interrupted ({local.interrupted}); nothing was submitted")
    unsupported = [n for n in local.status.nodes.values() if n.message.startswith("unsupported:")]
    if unsupported:  # nothing to compare Argo with: the local engine did not run it faithfully
        node = unsupported[0]
        raise CompletionError(
            f"{node.name}: {node.message} (the local run is no reference; nothing was submitted)"
        )
    submitted = submit_workflow(cwd, request, target_name, env)
    if on_remote is not None:
        on_remote(submitted)
    try:
        return verify_remote(
            submitted.transport.workflows,
            submitted.workflow,
            local.workflow,
            still_running=still_running(submitted.name, submitted.transport),
        )
    except ClusterError as err:
        raise unfinished(err, submitted.name, submitted.transport) from None


def unfinished(err: ClusterError, name: str, transport: Transport) -> CompletionError:
    """A transport failure while following: the workflow may still run, say how to stop it."""
    return CompletionError(f"{err}; {still_running(name, transport)}")

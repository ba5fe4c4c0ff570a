"""A kind cluster with Argo Workflows installed: create, inspect, delete (through :class:`Tools`).

Every step first looks at what is there (``kind get clusters``, the ``argo`` deployments, the
executor RBAC) and acts only on what is missing or different, so ``cluster up`` run twice changes
nothing the second time and says so. Every ``kubectl`` call names the context ``kind-<name>``
explicitly: the user's current context is never used, whatever it points to.

Argo is installed as its quick start does (https://argo-workflows.readthedocs.io/en/latest/quick-start/):
the release manifest applied server-side into namespace ``argo`` (its full CRDs exceed the
client-side annotation limit), plus the ``executor`` Role of Argo's "Workflow RBAC" page bound to
the namespace's ``default`` ServiceAccount, the account a Workflow without
``spec.serviceAccountName`` runs as (Argo's examples set none).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from collections.abc import Callable, Sequence

from wfsync import safepath
from wfsync.errors import UsageError
from wfsync.harness.tools import Completed, ToolFailed, ToolMissing, Tools, check, failure

DEFAULT_NAME = "wfsync"
ARGO_VERSION = "v4.0.15"
"""Argo Workflows release installed by default (``--argo-version`` overrides it)."""
KIND_VERSION = "v0.32.0"
"""The kind release :data:`NODE_IMAGE` was built for (the version the CI workflow installs)."""
NODE_IMAGE = "kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5"
"""Node image from kind v0.32.0's release notes, pinned by digest as kind asks."""
NAMESPACE = "argo"
WORKFLOW_SERVICE_ACCOUNT = "default"
"""The ServiceAccount (in :data:`NAMESPACE`) bound to the executor Role: what workflows run as."""
DEPLOYMENTS = ("workflow-controller", "argo-server")
"""Deployments that must be available before the cluster is ready."""
MANIFEST_URL = "https://github.com/argoproj/argo-workflows/releases/download/{version}/install.yaml"

CREATE_TIMEOUT = 600.0
APPLY_TIMEOUT = 300.0
ROLLOUT_TIMEOUT = 300
QUERY_TIMEOUT = 60.0

_VERSION = re.compile(r"^v\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$")
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:-]*(@sha256:[0-9a-f]{64})?$")

INSTALL_HINTS = {
    "docker": "install Docker (https://docs.docker.com/engine/install/) and start its daemon",
    "kind": f"install kind {KIND_VERSION} (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)",
    "kubectl": "install kubectl (https://kubernetes.io/docs/tasks/tools/)",
}

NAMESPACE_MANIFEST = f"""\
apiVersion: v1
kind: Namespace
metadata:
  name: {NAMESPACE}
"""

RBAC_MANIFEST = f"""\
# The minimum for Argo's executor (Argo docs, "Workflow RBAC"): report task results.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: executor
  namespace: {NAMESPACE}
rules:
  - apiGroups: [argoproj.io]
    resources: [workflowtaskresults]
    verbs: [create, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: executor-{WORKFLOW_SERVICE_ACCOUNT}
  namespace: {NAMESPACE}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: executor
subjects:
  - kind: ServiceAccount
    name: {WORKFLOW_SERVICE_ACCOUNT}
    namespace: {NAMESPACE}
"""


class Action(enum.StrEnum):
    """What a step did: anything but ``unchanged``/``absent`` changed the machine."""

    CREATED = "created"
    INSTALLED = "installed"
    UPGRADED = "upgraded"
    UPDATED = "updated"
    DELETED = "deleted"
    REMOVED = "removed"
    UNCHANGED = "unchanged"
    ABSENT = "absent"
    WAITED = "ready"


QUIET_ACTIONS = frozenset({Action.UNCHANGED, Action.ABSENT, Action.WAITED})


@dataclasses.dataclass(frozen=True)
class Step:
    """One thing ``up``/``down`` looked at, and what it did about it."""

    what: str
    action: Action
    detail: str = ""

    @property
    def changed(self) -> bool:
        """Whether this step changed the cluster or a file."""
        return self.action not in QUIET_ACTIONS


@dataclasses.dataclass(frozen=True)
class Deployment:
    """One Argo deployment as ``kubectl get deployments -o json`` shows it."""

    name: str
    image: str
    replicas: int
    ready_replicas: int

    @property
    def version(self) -> str | None:
        """The image tag (Argo's release, ``v4.0.15``), None when pinned by digest only."""
        return image_tag(self.image)

    @property
    def ready(self) -> bool:
        """Every wanted replica is ready (and at least one is wanted)."""
        return self.replicas > 0 and self.ready_replicas >= self.replicas


@dataclasses.dataclass(frozen=True)
class ClusterStatus:
    """What ``cluster status`` reports about the cluster itself."""

    name: str
    exists: bool
    deployments: tuple[Deployment, ...] = ()

    @property
    def context(self) -> str:
        """The kubeconfig context kind made."""
        return context_name(self.name)

    def deployment(self, name: str) -> Deployment | None:
        """The deployment called ``name``, if installed."""
        return next((d for d in self.deployments if d.name == name), None)

    @property
    def argo_version(self) -> str | None:
        """Argo's release, read from the workflow-controller image."""
        controller = self.deployment("workflow-controller")
        return controller.version if controller is not None else None

    @property
    def ready(self) -> bool:
        """The cluster exists and the controller and server are available."""
        found = [self.deployment(name) for name in DEPLOYMENTS]
        return self.exists and all(d is not None and d.ready for d in found)


def context_name(name: str) -> str:
    """The kubeconfig context of kind cluster ``name``."""
    return f"kind-{name}"


def manifest_url(version: str) -> str:
    """Argo's release manifest for ``version``."""
    return MANIFEST_URL.format(version=version)


def image_tag(image: str) -> str | None:
    """The tag of an image reference (``quay.io/argoproj/workflow-controller:v4.0.15`` → ``v4.0.15``)."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def check_name(name: str, what: str = "cluster name") -> str:
    """``name`` when it is a DNS label kind and kubeconfig accept, else a usage error (exit 2)."""
    if not safepath.is_dns_label(name) or len(name) > 40:
        raise UsageError(f"{what} {name!r} must be lowercase letters, digits and '-' (at most 40)")
    return name


def check_version(version: str) -> str:
    """An Argo release tag (``v4.0.15``): it becomes part of a download URL."""
    if not _VERSION.match(version):
        raise UsageError(f"Argo version {version!r} must look like v4.0.15")
    return version


def check_image(image: str) -> str:
    """A container image reference for the kind node."""
    if not _IMAGE.match(image):
        raise UsageError(f"node image {image!r} is not an image reference (kindest/node:vX.Y.Z@sha256:...)")
    return image


def require(tools: Tools, names: Sequence[str]) -> None:
    """Every tool in ``names`` is installed, and docker's daemon answers; else :class:`ToolMissing`.

    Runs before anything is created, so a missing tool never leaves half a cluster.
    """
    missing = [name for name in names if tools.which(name) is None]
    if missing:
        hints = "; ".join(f"{name}: {INSTALL_HINTS.get(name, 'install it')}" for name in missing)
        raise ToolMissing(f"{', '.join(missing)} not found on PATH ({hints})")
    if "docker" in names:
        try:
            info = tools.run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=QUERY_TIMEOUT)
        except ToolFailed as err:
            raise ToolMissing(f"the docker daemon does not answer: {err}") from None
        if not info.ok:
            raise ToolMissing(
                f"the docker daemon is not reachable (`docker info` {failure(info)}); start Docker"
            )


class KindCluster:
    """One kind cluster by name, driven through ``tools``."""

    def __init__(self, tools: Tools, name: str, *, note: Callable[[str], None] | None = None) -> None:
        self.tools = tools
        self.name = check_name(name)
        self.context = context_name(name)
        self._note = note or (lambda _message: None)

    def kubectl(self, *args: str, input: str | None = None, timeout: float = QUERY_TIMEOUT) -> Completed:
        """``kubectl --context kind-<name> ...``, failing with :class:`ToolFailed`."""
        argv = ["kubectl", "--context", self.context, *args]
        return check(self.tools.run(argv, input=input, timeout=timeout))

    def exists(self) -> bool:
        """Whether ``kind get clusters`` lists this cluster."""
        done = check(self.tools.run(["kind", "get", "clusters"], timeout=QUERY_TIMEOUT))
        return self.name in {line.strip() for line in done.stdout.splitlines()}

    def create(self, node_image: str) -> None:
        """``kind create cluster`` (waits for the control plane)."""
        self._note(f"creating kind cluster {self.name}")
        argv = ["kind", "create", "cluster", "--name", self.name, "--image", node_image, "--wait", "300s"]
        check(self.tools.run(argv, timeout=CREATE_TIMEOUT))

    def delete(self) -> None:
        """``kind delete cluster`` (its kubeconfig context goes with it)."""
        self._note(f"deleting kind cluster {self.name}")
        check(self.tools.run(["kind", "delete", "cluster", "--name", self.name], timeout=CREATE_TIMEOUT))

    def deployments(self) -> tuple[Deployment, ...]:
        """Argo's deployments in :data:`NAMESPACE` (none when Argo is not installed)."""
        done = self.kubectl("get", "deployments", "--namespace", NAMESPACE, "--output", "json")
        return parse_deployments(done.stdout, " ".join(done.argv))

    def status(self) -> ClusterStatus:
        """Whether it exists, and its Argo deployments."""
        if not self.exists():
            return ClusterStatus(self.name, exists=False)
        return ClusterStatus(self.name, exists=True, deployments=self.deployments())

    def install_argo(self, version: str) -> None:
        """The namespace, then Argo's release manifest, both server-side applied."""
        self._note(f"installing Argo {version}")
        apply = ("apply", "--server-side", "--force-conflicts", "--field-manager", "wfsync")
        self.kubectl(*apply, "--filename", "-", input=NAMESPACE_MANIFEST, timeout=APPLY_TIMEOUT)
        url = manifest_url(version)
        self.kubectl(*apply, "--namespace", NAMESPACE, "--filename", url, timeout=APPLY_TIMEOUT)

    def rbac_present(self) -> bool:
        """Whether the executor Role and its binding exist."""
        names = ("role/executor", f"rolebinding/executor-{WORKFLOW_SERVICE_ACCOUNT}")
        done = self.tools.run(
            [
                "kubectl",
                "--context",
                self.context,
                "get",
                "--namespace",
                NAMESPACE,
                *names,
                "--output",
                "name",
            ],
            timeout=QUERY_TIMEOUT,
        )
        if done.ok:
            return len([line for line in done.stdout.splitlines() if line.strip()]) == len(names)
        if "NotFound" in done.stderr or "not found" in done.stderr:
            return False
        check(done)
        return False

    def apply_rbac(self) -> None:
        """The executor Role bound to the workflows' ServiceAccount."""
        apply = ("apply", "--server-side", "--force-conflicts", "--field-manager", "wfsync")
        self.kubectl(*apply, "--filename", "-", input=RBAC_MANIFEST, timeout=APPLY_TIMEOUT)

    def wait(self, deployment: str, timeout: int = ROLLOUT_TIMEOUT) -> None:
        """``kubectl rollout status`` until ``deployment`` is available."""
        self._note(f"waiting for deployment/{deployment}")
        self.kubectl(
            "--namespace",
            NAMESPACE,
            "rollout",
            "status",
            f"deployment/{deployment}",
            f"--timeout={timeout}s",
            timeout=timeout + 30,
        )


def parse_deployments(text: str, command: str = "kubectl get deployments") -> tuple[Deployment, ...]:
    """Deployments from ``kubectl get deployments -o json`` output (a List)."""
    try:
        data: object = json.loads(text)
    except json.JSONDecodeError as err:
        raise ToolFailed(command.split(), f"gave output that is not JSON ({err.msg})") from None
    found = []
    for item in data.get("items", []) if isinstance(data, dict) else []:
        if not isinstance(item, dict):
            continue
        meta = item.get("metadata") or {}
        spec = item.get("spec") or {}
        state = item.get("status") or {}
        containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or [{}]
        image = containers[0].get("image", "") if isinstance(containers[0], dict) else ""
        found.append(
            Deployment(
                name=str(meta.get("name", "")),
                image=str(image),
                replicas=int(spec.get("replicas", 1) or 0),
                ready_replicas=int(state.get("readyReplicas", 0) or 0),
            )
        )
    return tuple(found)


@dataclasses.dataclass(frozen=True)
class UpRequest:
    """What ``cluster up`` was asked for."""

    name: str = DEFAULT_NAME
    argo_version: str = ARGO_VERSION
    node_image: str = NODE_IMAGE


def up(tools: Tools, request: UpRequest, *, note: Callable[[str], None] | None = None) -> list[Step]:
    """Bring the cluster to the requested state, doing only what is missing; the steps taken."""
    check_version(request.argo_version)
    check_image(request.node_image)
    cluster = KindCluster(tools, request.name, note=note)
    require(tools, ("docker", "kind", "kubectl"))
    steps: list[Step] = []
    if cluster.exists():
        steps.append(Step(f"kind cluster {cluster.name}", Action.UNCHANGED, "exists"))
    else:
        cluster.create(request.node_image)
        detail = f"{request.node_image}; kind made {cluster.context} kubectl's current context"
        steps.append(Step(f"kind cluster {cluster.name}", Action.CREATED, detail))

    controller = ClusterStatus(cluster.name, True, cluster.deployments())
    installed = controller.argo_version
    have_all = all(controller.deployment(name) is not None for name in DEPLOYMENTS)
    if installed == request.argo_version and have_all:
        steps.append(Step("Argo Workflows", Action.UNCHANGED, f"{installed} installed"))
    else:
        cluster.install_argo(request.argo_version)
        if installed is None:
            steps.append(Step("Argo Workflows", Action.INSTALLED, request.argo_version))
        else:
            detail = f"{installed} -> {request.argo_version}"
            steps.append(Step("Argo Workflows", Action.UPGRADED, detail))

    who = f"ServiceAccount {NAMESPACE}/{WORKFLOW_SERVICE_ACCOUNT}"
    if cluster.rbac_present():
        steps.append(Step("executor RBAC", Action.UNCHANGED, f"bound to {who}"))
    else:
        cluster.apply_rbac()
        steps.append(Step("executor RBAC", Action.CREATED, f"Role executor bound to {who}"))

    for name in DEPLOYMENTS:
        cluster.wait(name)
        steps.append(Step(f"deployment/{name}", Action.WAITED))
    return steps


def down(tools: Tools, name: str, *, note: Callable[[str], None] | None = None) -> Step:
    """Delete the cluster if it exists."""
    cluster = KindCluster(tools, name, note=note)
    require(tools, ("docker", "kind"))
    if not cluster.exists():
        return Step(f"kind cluster {cluster.name}", Action.ABSENT, "no such cluster")
    cluster.delete()
    return Step(f"kind cluster {cluster.name}", Action.DELETED)


def status(tools: Tools, name: str) -> ClusterStatus:
    """The cluster's state (tools checked first: docker, kind, kubectl)."""
    cluster = KindCluster(tools, name)
    require(tools, ("docker", "kind", "kubectl"))
    return cluster.status()

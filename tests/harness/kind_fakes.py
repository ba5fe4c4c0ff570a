"""A recording fake of ``docker``/``kind``/``kubectl`` behind the harness's :class:`Tools` interface.

It keeps a small world (clusters, Argo deployments per cluster, executor RBAC) and answers the
commands the harness runs the way the real tools do (``kind get clusters`` lists names, ``kubectl
get deployments -o json`` gives a List, a missing Role is ``NotFound`` on stderr), so tests check
both the arguments sent and the decisions taken from the answers.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence

from wfsync.harness.tools import Completed, ToolFailed

_VERSION_IN_URL = re.compile(r"/download/(v[^/]+)/install\.yaml$")


@dataclasses.dataclass
class FakeDeployment:
    image: str
    replicas: int = 1
    ready: int = 0


@dataclasses.dataclass
class FakeTools:
    """The world plus every call made (argv, stdin)."""

    installed: set[str] = dataclasses.field(default_factory=lambda: {"docker", "kind", "kubectl"})
    daemon_up: bool = True
    clusters: set[str] = dataclasses.field(default_factory=set)
    deployments: dict[str, dict[str, FakeDeployment]] = dataclasses.field(default_factory=dict)
    rbac: set[str] = dataclasses.field(default_factory=set)
    fail: dict[str, tuple[int, str]] = dataclasses.field(default_factory=dict)
    """Commands (space-joined argv prefix) that fail with (exit code, stderr)."""
    rollout_makes_ready: bool = True
    timeout_on: str | None = None
    calls: list[tuple[str, ...]] = dataclasses.field(default_factory=list)
    inputs: list[str | None] = dataclasses.field(default_factory=list)
    timeouts: list[float] = dataclasses.field(default_factory=list)

    def which(self, name: str) -> str | None:
        return f"/fake/bin/{name}" if name in self.installed else None

    def commands(self, program: str | None = None) -> list[str]:
        """Calls as command lines, optionally only those of ``program``."""
        return [" ".join(c) for c in self.calls if program is None or c[0] == program]

    def run(self, argv: Sequence[str], *, input: str | None = None, timeout: float) -> Completed:
        args = tuple(argv)
        self.calls.append(args)
        self.inputs.append(input)
        self.timeouts.append(timeout)
        line = " ".join(args)
        if self.timeout_on is not None and line.startswith(self.timeout_on):
            raise ToolFailed(args, f"did not finish within {timeout:g} s")
        for prefix, (code, stderr) in self.fail.items():
            if line.startswith(prefix):
                return Completed(args, code, "", stderr)
        if args[0] not in self.installed:
            return Completed(args, 127, "", f"{args[0]}: command not found")
        handler = {"docker": self._docker, "kind": self._kind, "kubectl": self._kubectl}[args[0]]
        return handler(args, input)

    def _docker(self, args: tuple[str, ...], _input: str | None) -> Completed:
        if args[1] == "info":
            if not self.daemon_up:
                return Completed(
                    args, 1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock."
                )
            return Completed(args, 0, "29.0.0\n")
        return Completed(args, 1, "", f"unknown command {args[1]}")

    def _kind(self, args: tuple[str, ...], _input: str | None) -> Completed:
        if args[1:3] == ("get", "clusters"):
            if not self.clusters:
                return Completed(args, 0, "", "No kind clusters found.\n")
            return Completed(args, 0, "".join(f"{c}\n" for c in sorted(self.clusters)))
        name = args[args.index("--name") + 1]
        if args[1:3] == ("create", "cluster"):
            if name in self.clusters:
                return Completed(
                    args,
                    1,
                    "",
                    f'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "{name}"',
                )
            self.clusters.add(name)
            self.deployments[name] = {}
            return Completed(args, 0, "", f'Creating cluster "{name}" ...\n')
        if args[1:3] == ("delete", "cluster"):
            self.clusters.discard(name)
            self.deployments.pop(name, None)
            self.rbac.discard(name)
            return Completed(args, 0, "", f'Deleting cluster "{name}" ...\n')
        return Completed(args, 1, "", "unknown kind command")

    def _kubectl(self, args: tuple[str, ...], stdin: str | None) -> Completed:
        assert args[1] == "--context", "every kubectl call names its context"
        context = args[2]
        name = context.removeprefix("kind-")
        if name not in self.clusters:
            return Completed(args, 1, "", f'error: context "{context}" does not exist')
        rest = args[3:]
        deployments = self.deployments.setdefault(name, {})
        if rest[:2] == ("get", "deployments"):
            items = [
                {
                    "metadata": {"name": d_name, "namespace": "argo"},
                    "spec": {
                        "replicas": d.replicas,
                        "template": {"spec": {"containers": [{"image": d.image}]}},
                    },
                    "status": {"readyReplicas": d.ready} if d.ready else {},
                }
                for d_name, d in deployments.items()
            ]
            return Completed(args, 0, json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        if rest[0] == "apply":
            source = rest[rest.index("--filename") + 1]
            if source == "-":
                assert stdin is not None
                if "kind: Role" in (stdin or ""):
                    self.rbac.add(name)
                return Completed(args, 0, "applied\n")
            found = _VERSION_IN_URL.search(source)
            assert found, source
            version = found.group(1)
            for d_name, image in (("workflow-controller", "workflow-controller"), ("argo-server", "argocli")):
                old = deployments.get(d_name)
                deployments[d_name] = FakeDeployment(
                    f"quay.io/argoproj/{image}:{version}", 1, old.ready if old else 0
                )
            return Completed(args, 0, "serverside-applied\n")
        if rest[0] == "get" and "role/executor" in rest:
            if name in self.rbac:
                return Completed(
                    args,
                    0,
                    "role.rbac.authorization.k8s.io/executor\nrolebinding.rbac.authorization.k8s.io/executor-default\n",
                )
            return Completed(
                args,
                1,
                "",
                'Error from server (NotFound): roles.rbac.authorization.k8s.io "executor" not found',
            )
        if "rollout" in rest:
            target = rest[rest.index("status") + 1].removeprefix("deployment/")
            if target not in deployments:
                return Completed(
                    args, 1, "", f'Error from server (NotFound): deployments.apps "{target}" not found'
                )
            if self.rollout_makes_ready:
                deployments[target].ready = deployments[target].replicas
                return Completed(args, 0, f'deployment "{target}" successfully rolled out\n')
            return Completed(args, 1, "", "error: timed out waiting for the condition")
        return Completed(args, 1, "", f"fake kubectl: unknown command {' '.join(rest)}")

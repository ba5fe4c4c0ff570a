"""What goes into a pod and what comes out of it: the :class:`Pod` of a template, its outputs.

The pod's inputs (files, artifacts, volumes, deadline) and the ``wait`` container's side
(result, exit code, output parameters and artifacts) are the executor-facing half of pods;
starting and reconciling them is :mod:`wfsync.engine.pods`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wfsync import safepath
from wfsync.engine import sources
from wfsync.engine import status as st
from wfsync.engine.artifacts import artifact_key
from wfsync.engine.durations import parse_duration
from wfsync.engine.executor import Container, Pod, PodResult
from wfsync.engine.host import SCRIPT_PATH, HostExecutor, is_busybox_image
from wfsync.engine.nodes import DEADLINE_MESSAGE, OperationState, PodOutcome, PodWork
from wfsync.engine.params import param_string
from wfsync.engine.templates import template_type
from wfsync.errors import WfsyncError


class PodSpecMixin(OperationState):
    """Building a pod from a processed template and collecting a finished pod's outputs."""

    def build_pod(self, node: st.Node, tmpl: dict[str, Any]) -> Pod:
        """The :class:`Pod` of a processed container, script or containerSet template."""
        kind = template_type(tmpl)
        spec: dict[str, Any] = tmpl[kind] if isinstance(tmpl.get(kind), dict) else {}
        graph = (
            [c for c in spec.get("containers") or [] if isinstance(c, dict)] if kind == "containerSet" else []
        )
        if graph:
            spec = next((c for c in graph if c.get("name") == "main"), graph[0])
        extras = [*graph, *(tmpl.get("initContainers") or []), *(tmpl.get("sidecars") or [])]
        self._check_images([spec, *extras])
        args = tuple(str(a) for a in spec.get("args") or ())
        files: list[tuple[str, bytes, int | None]] = []
        if kind == "script" and spec.get("source"):
            # ``executeScript``: an empty source adds no script argument (it runs as a container).
            files.append((SCRIPT_PATH, str(spec["source"]).encode("utf-8"), 0o755))
            args = (*args, SCRIPT_PATH)
        argo_env = (
            ("ARGO_TEMPLATE", json.dumps(tmpl, separators=(",", ":"))),
            ("ARGO_NODE_ID", node.id),
        )
        paths, unpack = self._input_artifacts(node, tmpl, files)
        paths.extend(self._output_paths(tmpl))
        mounts, shared = self._volumes(tmpl, spec, extras)
        paths.extend(mounts)
        deadline = self._pod_deadline(node, tmpl)
        main = self._container(spec, "main", argo_env)
        command = tuple(str(c) for c in spec.get("command") or ())
        main = dataclasses.replace(main, command=self._stand_in(main.image, command), args=args)
        for what in _unchecked(self.spec, tmpl):
            self.status.note(f"not checked locally: {what}")

        def named(containers: list[Any]) -> tuple[Container, ...]:
            return tuple(self._container(c, str(c.get("name") or ""), argo_env) for c in containers)

        return Pod(
            name=node.pod_name,
            node_name=node.name,
            main=main,
            root=self.options.run_dir / "pods" / node.id,
            paths=tuple(paths),
            files=tuple(files),
            unpack=tuple(unpack),
            deadline=deadline,
            mounts=tuple(mounts),
            shared_dirs=tuple(shared),
            containers=named(graph),
            init_containers=named(tmpl.get("initContainers") or []),
            sidecars=named(tmpl.get("sidecars") or []),
        )

    def _check_images(self, containers: list[Mapping[str, Any]]) -> None:
        """Refuse the pod before it runs when an image or command has no host stand-in."""
        for ctr in containers:
            reason = self.executor.check(
                str(ctr.get("image") or ""), tuple(str(c) for c in ctr.get("command") or ())
            )
            if reason is not None:
                from wfsync.engine.executor import Unsupported

                raise Unsupported(reason)

    def _container(
        self, ctr: Mapping[str, Any], name: str, argo_env: tuple[tuple[str, str], ...]
    ) -> Container:
        """One container of the pod: its image's stand-in command, arguments and environment."""
        env = [(str(e["name"]), str(e.get("value", ""))) for e in ctr.get("env") or [] if "name" in e]
        return Container(
            name,
            str(ctr.get("image") or ""),
            self._stand_in(str(ctr.get("image") or ""), tuple(str(c) for c in ctr.get("command") or ())),
            tuple(str(a) for a in ctr.get("args") or ()),
            (*env, *argo_env),
            str(ctr.get("workingDir") or ""),
            tuple(str(d) for d in ctr.get("dependencies") or ()),
        )

    def _input_artifacts(
        self, node: st.Node, tmpl: Mapping[str, Any], files: list[tuple[str, bytes, int | None]]
    ) -> tuple[list[str], list[tuple[str, Path, str]]]:
        """The input artifacts' paths, and what to unpack there (raw and fetched ones go to ``files``)."""
        paths: list[str] = []
        unpack: list[tuple[str, Path, str]] = []
        for art in (tmpl.get("inputs") or {}).get("artifacts") or []:
            path = art.get("path")
            if not path:
                continue
            path = safepath.container_path(str(path), what=f"input artifact {art.get('name')!r} path")
            paths.append(path)
            if art.get("raw") is not None:
                files.append((path, str(art["raw"].get("data", "")).encode("utf-8"), _mode(art)))
            elif sources.is_remote(art):
                self._remote_artifact(node, art, path, files, unpack)
            else:
                self._stored_artifact(art, path, unpack)
        return paths, unpack

    def _remote_artifact(
        self,
        node: st.Node,
        art: Mapping[str, Any],
        path: str,
        files: list[tuple[str, bytes, int | None]],
        unpack: list[tuple[str, Path, str]],
    ) -> None:
        """An http or git input artifact, fetched now (``LoadArtifacts``)."""
        if not _has_location(art):
            # ``LoadArtifacts``: an http/git artifact without its URL is not supplied
            if art.get("optional"):
                return
            raise WfsyncError(f"required artifact '{art.get('name')}' not supplied")
        folder = self.options.run_dir / "fetched" / node.id
        got = sources.fetch(art, folder, allow_network=self.options.allow_network)
        if got is None:
            return
        if got.unpack:
            unpack.append((path, got.path, str(art.get("subPath") or "")))
        else:
            files.append((path, got.path.read_bytes(), _mode(art)))

    def _stored_artifact(self, art: dict[str, Any], path: str, unpack: list[tuple[str, Path, str]]) -> None:
        """An input artifact from the run's repository (an earlier node's output)."""
        key = artifact_key(art)
        if key is None:
            if art.get("optional"):
                return
            raise WfsyncError(f"unsupported: input artifact {art.get('name')!r} has no local source")
        source = self.options.artifacts.path(key)
        if not source.exists():
            if art.get("optional"):
                return
            raise WfsyncError(f"failed to load artifact {art.get('name')!r}: key {key} does not exist")
        unpack.append((path, source, str(art.get("subPath") or "")))

    def _output_paths(self, tmpl: Mapping[str, Any]) -> list[str]:
        """The in-container paths of output artifacts and parameters (their keys checked now)."""
        paths = []
        for art in (tmpl.get("outputs") or {}).get("artifacts") or []:
            if art.get("path"):
                what = f"output artifact {art.get('name')!r} path"
                paths.append(safepath.container_path(str(art["path"]), what=what))
            key = artifact_key(art)
            if key is not None:
                self.options.artifacts.path(key)  # a key leaving the repository: refused before the pod runs
        for param in (tmpl.get("outputs") or {}).get("parameters") or []:
            path = (param.get("valueFrom") or {}).get("path")
            if path:
                what = f"output parameter {param.get('name')!r} path"
                paths.append(safepath.container_path(str(path), what=what))
        return paths

    def _volumes(
        self, tmpl: Mapping[str, Any], spec: Mapping[str, Any], extras: list[Any]
    ) -> tuple[list[str], list[tuple[str, Path]]]:
        """The pod's own volume mount paths, and the claims' folders shared between pods."""
        shared: list[tuple[str, Path]] = []
        mounts: list[str] = []
        volumes = {
            v.get("name"): v for v in [*(self.spec.get("volumes") or []), *(tmpl.get("volumes") or [])]
        }
        claims = {c.get("metadata", {}).get("name") for c in self.spec.get("volumeClaimTemplates") or []}
        every_mount = [
            *(spec.get("volumeMounts") or []),
            *((tmpl.get("containerSet") or {}).get("volumeMounts") or []),
            *(m for c in extras for m in c.get("volumeMounts") or []),
        ]
        for mount in {str(m.get("mountPath", "")): m for m in every_mount if isinstance(m, dict)}.values():
            name = mount.get("name")
            mount_path = safepath.container_path(
                str(mount.get("mountPath", "")), what=f"volume {name!r} mountPath"
            )
            volume = volumes.get(name) or {}
            if name in claims:
                shared.append((mount_path, self._claim_folder(str(name))))
            elif isinstance(volume.get("persistentVolumeClaim"), dict):
                claim = volume["persistentVolumeClaim"].get("claimName", name)
                shared.append((mount_path, self._claim_folder(str(claim))))
            else:
                mounts.append(mount_path)
        for _, folder in shared:
            folder.mkdir(parents=True, exist_ok=True)
        return mounts, shared

    def _pod_deadline(self, node: st.Node, tmpl: Mapping[str, Any]) -> float | None:
        """When the pod must end: its template's activeDeadlineSeconds/timeout, and the workflow's."""
        deadline = None
        for limit in (tmpl.get("activeDeadlineSeconds"), tmpl.get("timeout")):
            if limit is not None and str(limit).strip():  # "" after substitution: no limit, as in Argo
                seconds = parse_duration(limit)
                deadline = min(deadline or float("inf"), node.started + seconds)
        if self.deadline is not None:
            deadline = min(deadline or float("inf"), self.deadline)
        return deadline

    def _busybox(self, image: str) -> BusyBox | None:
        """The host's BusyBox when it stands in for ``image`` (busybox or alpine, host pods)."""
        if not isinstance(self.executor, HostExecutor) or not is_busybox_image(image):
            return None
        return busybox_tool()

    def _stand_in(self, image: str, command: tuple[str, ...]) -> tuple[str, ...]:
        """The command, run by the host's BusyBox when ``image`` is busybox or alpine and has it.

        Those images' ``sh`` is BusyBox ash (``$RANDOM``, its syntax), which the host's dash is
        not; the summary says what ran it. Other tools stay the host's: Debian's BusyBox is built
        with fewer applet options than Alpine's, so a missing tool is reported, not mis-run.
        """
        busybox = self._busybox(image)
        program = command[0].rsplit("/", 1)[-1] if command else "sh"
        if busybox is None or program not in _SHELLS or program not in busybox.applets:
            return command
        self.status.note(f"{image} ran as host {busybox.version} ({program} applet)")
        return ("busybox", program, *command[1:])

    def _claim_folder(self, claim: str) -> Path:
        """The run's folder of a volume claim: the claim name comes from the workflow, so it is checked."""
        safepath.check_name(claim, what="volume claim")
        return safepath.within(self.options.run_dir / "volumes", claim, what="volume claim")

    def collect(self, work: PodWork, result: PodResult) -> PodOutcome:
        """Outputs of a finished pod (``wait`` container): result, exit code, parameters, artifacts."""
        tmpl = work.template
        pod = work.pod
        assert pod is not None
        outputs: dict[str, Any] = {}
        logs = result.stdout + result.stderr
        if result.exit_code is None:
            return PodOutcome(st.ERROR, result.message, outputs, logs)
        graph = (tmpl.get("containerSet") or {}).get("containers") or []
        if not graph or any(c.get("name") == "main" for c in graph):
            outputs["result"] = result.result
            outputs["exitCode"] = str(result.exit_code)
        if result.deadline_exceeded:
            message = DEADLINE_MESSAGE if self.deadline and time.time() >= self.deadline else result.message
            return PodOutcome(st.FAILED, message, outputs, logs)
        if result.message:
            return PodOutcome(st.FAILED, result.message, outputs, logs)
        phase, message = st.SUCCEEDED, ""
        if result.exit_code != 0:
            phase, message = st.FAILED, f"main: Error (exit code {result.exit_code})"
        declared = tmpl.get("outputs") or {}
        params = self._output_parameters(pod, declared, phase)
        if isinstance(params, str):
            return PodOutcome(st.ERROR, params, outputs, logs)
        if params:
            outputs["parameters"] = params
        arts = self._output_artifacts(pod, declared, phase)
        if isinstance(arts, str):
            return PodOutcome(st.ERROR, arts, outputs, logs)
        if arts:
            outputs["artifacts"] = arts
        if phase == st.SUCCEEDED:  # Argo's is empty: say when a toolchain image ran another version
            describe = getattr(self.executor, "describe", None)
            message = describe(pod) if describe is not None else ""
        return PodOutcome(phase, message, outputs, logs)

    def _output_parameters(
        self, pod: Pod, declared: Mapping[str, Any], phase: str
    ) -> list[dict[str, Any]] | str:
        """The declared output parameters with their values; a str: why the pod ends in Error."""
        params = []
        for param in declared.get("parameters") or []:
            value_from = param.get("valueFrom") or {}
            out = {k: v for k, v in param.items() if k not in ("valueFrom",)}
            if value_from.get("path"):
                value = self._parameter_file(pod, value_from, phase)
                if value is None:
                    continue
                if isinstance(value, OSError | UnicodeDecodeError):
                    return f"open {value_from['path']}: {getattr(value, 'strerror', None) or value}"
                out["value"] = value
            elif value_from.get("default") is not None:
                out["value"] = param_string(value_from["default"])
            elif param.get("value") is not None:
                out["value"] = param_string(param["value"])
            else:
                continue
            params.append(out)
        return params

    def _parameter_file(
        self, pod: Pod, value_from: Mapping[str, Any], phase: str
    ) -> str | OSError | UnicodeDecodeError | None:
        """A ``valueFrom.path`` parameter's value, its default, the error (Succeeded pod), or None."""
        host = self.executor.host_path(pod, str(value_from["path"]))
        try:
            if not safepath.is_within(self.options.run_dir, host):
                raise OSError(0, "it leaves the pod (a symlink out of its folder)")
            text = host.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            if value_from.get("default") is not None:
                return param_string(value_from["default"])
            return exc if phase == st.SUCCEEDED else None
        return text[:-1] if text.endswith("\n") else text

    def _output_artifacts(
        self, pod: Pod, declared: Mapping[str, Any], phase: str
    ) -> list[dict[str, Any]] | str:
        """The declared output artifacts, saved to the repository; a str: why the pod ends in Error."""
        arts = []
        for art in declared.get("artifacts") or []:
            path = art.get("path")
            if not path:
                continue
            host = self.executor.host_path(pod, str(path))
            if not safepath.is_within(self.options.run_dir, host):
                return f"failed to save outputs: {path}: it leaves the pod (a symlink out of its folder)"
            if not host.exists():
                if art.get("optional") or phase != st.SUCCEEDED:
                    continue
                return f"failed to save outputs: {path}: no such file or directory"
            arts.append(self._save_artifact(pod, art, host))
        return arts

    def _save_artifact(self, pod: Pod, art: Mapping[str, Any], host: Path) -> dict[str, Any]:
        """Save one output artifact under its key (``s3.key``, else ``<workflow>/<pod>/<name>``)."""
        archive = not (isinstance(art.get("archive"), dict) and "none" in art["archive"])
        s3 = art.get("s3") if isinstance(art.get("s3"), dict) else None
        key = str(s3["key"]) if s3 and s3.get("key") else f"{self.name}/{pod.name}/{art['name']}"
        if not s3 or not s3.get("key"):
            key += ".tgz" if archive else ""
        self.options.artifacts.save(key, host, archive=archive)
        saved = {k: v for k, v in art.items() if k not in ("s3", "archive")}
        saved["s3"] = {"key": key}
        return saved


def _mode(art: Mapping[str, Any]) -> int | None:
    mode = art.get("mode")
    return int(mode) if isinstance(mode, int) else None


_SCHEDULING = (
    "nodeSelector",
    "affinity",
    "tolerations",
    "schedulerName",
    "priorityClassName",
    "podPriorityClassName",
)


def _unchecked(spec: Mapping[str, Any], tmpl: Mapping[str, Any]) -> list[str]:
    """What Kubernetes would check for this pod that a local run cannot (for the summary)."""
    found = []
    account = tmpl.get("serviceAccountName") or spec.get("serviceAccountName")
    if account:
        found.append(f"RBAC of serviceAccountName {account!r}")
    scheduling = [k for k in _SCHEDULING if tmpl.get(k) or spec.get(k)]
    if scheduling:
        found.append(f"scheduling ({', '.join(scheduling)})")
    found.append("image pulls (images are stood in, never pulled)")
    return found


_SHELLS = ("sh", "ash")


@dataclasses.dataclass(frozen=True)
class BusyBox:
    """The host's BusyBox: its version line and the applets it carries."""

    version: str
    applets: frozenset[str]


@functools.cache
def busybox_tool() -> BusyBox | None:
    """The host's ``busybox`` (Debian package ``busybox``), None when it has none."""
    path = shutil.which("busybox")
    if path is None:
        return None
    try:
        listed = subprocess.run([path, "--list"], capture_output=True, text=True, timeout=10, check=True)
        banner = subprocess.run([path], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    first = (banner.stdout or banner.stderr).splitlines()[:1]
    words = first[0].split() if first else []
    version = " ".join(words[:2]) if len(words) >= 2 else "BusyBox"
    return BusyBox(version, frozenset(listed.stdout.split()))


def _has_location(art: Mapping[str, Any]) -> bool:
    """``Artifact.HasLocation`` for http and git: a URL (repository) is set."""
    http, git = art.get("http"), art.get("git")
    if isinstance(http, Mapping):
        return bool(http.get("url"))
    return isinstance(git, Mapping) and bool(git.get("repo"))


_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")


def claim_problem(spec: Mapping[str, Any], workflow: str) -> str:
    """Why the API server would refuse a ``volumeClaimTemplates`` claim ('' when it would not).

    Argo creates ``<workflow>-<claim>`` before the first node (``createPVCs``); the API server's
    validation of the claim spec (``ValidatePersistentVolumeClaimSpec``: access modes, a storage
    request) is what a local run checks, with the API server's message.
    """
    for claim in spec.get("volumeClaimTemplates") or []:
        if not isinstance(claim, dict):
            continue
        name = f"{workflow}-{(claim.get('metadata') or {}).get('name', '')}"
        body = claim.get("spec") or {}
        errors: list[str] = []
        modes = body.get("accessModes") or []
        if not modes:
            errors.append("spec.accessModes: Required value: at least 1 access mode is required")
        supported = ", ".join(f'"{m}"' for m in _ACCESS_MODES)
        errors.extend(
            f'spec.accessModes: Unsupported value: "{mode}": supported values: {supported}'
            for mode in modes
            if mode not in _ACCESS_MODES
        )
        requests = (body.get("resources") or {}).get("requests") or {}
        if not body.get("dataSource") and not body.get("dataSourceRef") and "storage" not in requests:
            errors.append("spec.resources[storage]: Required value")
        if errors:
            detail = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
            return f'PersistentVolumeClaim "{name}" is invalid: {detail}'
    return ""

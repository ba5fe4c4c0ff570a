"""What the local engine cannot run faithfully, decided before anything runs.

:func:`preflight` walks every template reachable from the entrypoint and the exit handler
(through steps, tasks, hooks, ``templateRef`` and ``inline``) and returns one
``unsupported: ...`` (or ``environment: ...``) reason per problem. A workflow with any reason is
not run, so the engine never gives a different verdict than Argo's silently.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from wfsync.engine import locks, network
from wfsync.engine.executor import Executor
from wfsync.engine.probe import probe_reason
from wfsync.engine.templates import (
    Context,
    ResolveError,
    Resolver,
    context_for,
    merge_template_defaults,
    template_type,
)
from wfsync.engine.validate import submit_problem
from wfsync.errors import InputError
from wfsync.model.kinds import Kind
from wfsync.model.walk import hooks_of, steps_and_tasks

_UNSUPPORTED_TYPES = {
    "plugin": "plugin templates need an executor plugin",
    "data": "data templates are not implemented locally yet",
}
NEEDS_RESUME = (
    "it waits for `argo resume`, which a non-interactive local run cannot give "
    "(give the suspend a duration, or run with a resume delay: --resume-after SECONDS)"
)
_REMOTE_ARTIFACTS = ("gcs", "oss", "azure", "hdfs", "artifactory")


def _holders(tmpl: Mapping[str, object]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every step and task of a template, with a label (the model's walker)."""
    for caller in steps_and_tasks(tmpl):
        yield caller.what, caller.node


def _hooks(holder: Mapping[str, object]) -> Iterator[tuple[str, Mapping[str, object]]]:
    """Lifecycle hooks by name, and ``onExit`` as ``exit`` (the model's walker)."""
    for caller in hooks_of(holder):
        yield caller.name, caller.node


def _artifact_reasons(where: str, art: Mapping[str, Any], *, allow_network: bool = False) -> list[str]:
    reasons = []
    for key, field in (("http", "url"), ("git", "repo")):
        if isinstance(art.get(key), dict):
            what = f"{where}: artifact {art.get('name')!r} ({key})"
            reason = network.static_check(what, art[key].get(field), allow_network=allow_network)
            reasons.extend([reason] if reason else [])
    for key in _REMOTE_ARTIFACTS:
        if key in art:
            reasons.append(  # noqa: PERF401
                f"unsupported: {where}: artifact {art.get('name')!r} uses {key} storage (needs the network)"
            )
    s3 = art.get("s3")
    if isinstance(s3, dict) and set(s3) - {"key"}:
        reasons.append(
            f"unsupported: {where}: artifact {art.get('name')!r} names its own s3 bucket/endpoint (needs the network)"
        )
    return reasons


def _template_reasons(
    tmpl: Mapping[str, Any],
    executor: Executor,
    *,
    allow_network: bool = False,
    resumable: bool = False,
    strict: list[str] | None = None,
) -> list[str]:
    name = f"template {tmpl.get('name')!r}"
    reasons: list[str] = []
    kind = template_type(tmpl)
    if kind == "http" and isinstance(tmpl.get("http"), dict):
        reason = network.static_check(name, tmpl["http"].get("url"), allow_network=allow_network)
        reasons.extend([reason] if reason else [])
    if kind in _UNSUPPORTED_TYPES:
        reasons.append(f"unsupported: {name}: {_UNSUPPORTED_TYPES[kind]}")
    if kind == "suspend" and not (tmpl.get("suspend") or {}).get("duration") and not resumable:
        reasons.append(f"unsupported: {name}: {NEEDS_RESUME}")
    if tmpl.get("daemon"):
        reasons += _daemon_reasons(name, tmpl, kind)
    for reason in locks.unsupported_reasons(tmpl.get("synchronization")):
        reasons.append(f"unsupported: {name}: {reason}")  # noqa: PERF401
    for key in ("volumes",):
        for volume in tmpl.get(key) or []:
            if isinstance(volume, dict) and not ({"emptyDir", "persistentVolumeClaim"} & set(volume)):
                reasons.append(  # noqa: PERF401
                    f"unsupported: {name}: volume {volume.get('name')!r} of this kind is not available locally"
                )
    for hook_name, _ in _hooks(tmpl):
        if hook_name != "exit":
            reasons.append(
                f"unsupported: {name}: lifecycle hook {hook_name!r} on a template (hooks belong on steps, tasks or the spec)"
            )
    for art in _template_artifacts(tmpl):
        reasons.extend(_artifact_reasons(name, art, allow_network=allow_network))
    for spec in _containers(tmpl, kind):
        reasons.extend(_container_reasons(name, spec, executor, strict))
    return reasons


def _daemon_reasons(name: str, tmpl: Mapping[str, Any], kind: str) -> list[str]:
    """What keeps a daemon template from running locally (retries, its kind, its readiness probe)."""
    reasons = []
    if tmpl.get("retryStrategy") is not None:
        reasons.append(f"unsupported: {name}: daemons with a retryStrategy are not implemented locally yet")
    if kind not in ("container", "script"):
        reasons.append(f"unsupported: {name}: only container and script templates can be daemons locally")
    else:
        reason = probe_reason(tmpl[kind].get("readinessProbe"))
        if reason is not None:
            reasons.append(f"unsupported: {name}: {reason}")
    return reasons


def _template_artifacts(tmpl: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The artifacts a template declares (inputs, outputs) and passes in its steps' or tasks' arguments."""
    inputs = tmpl.get("inputs") or {}
    outputs = tmpl.get("outputs") or {}
    found = [*(inputs.get("artifacts") or []), *(outputs.get("artifacts") or [])]
    for _, holder in _holders(tmpl):
        found += (holder.get("arguments") or {}).get("artifacts") or []
    return [art for art in found if isinstance(art, dict)]


def _containers(tmpl: Mapping[str, Any], kind: str) -> list[Mapping[str, object]]:
    """Every container the pod of a template runs: main (or a containerSet), init, sidecars."""
    found: list[object] = []
    if kind in ("container", "script"):
        found.append(tmpl[kind])
    elif kind == "containerSet":
        found.extend((tmpl.get("containerSet") or {}).get("containers") or [])
    if kind in ("container", "script", "containerSet"):
        found.extend(tmpl.get("initContainers") or [])
        found.extend(tmpl.get("sidecars") or [])
    return [c for c in found if isinstance(c, dict)]


def _container_reasons(
    name: str, spec: Mapping[str, Any], executor: Executor, strict: list[str] | None = None
) -> list[str]:
    reasons = []
    texts = [*(str(c) for c in spec.get("command") or ()), *(str(a) for a in spec.get("args") or ())]
    texts.append(str(spec.get("source") or ""))
    if getattr(executor, "rewrites", False) and any("/proc/" in text for text in texts):
        # host processes see the host's /proc; a sandbox or a container has its own
        reasons.append(f"unsupported: {name}: inspects /proc, which is the host's for host processes")
    image = str(spec.get("image") or "")
    command = tuple(str(c) for c in spec.get("command") or ())
    if "{{" not in image and not any("{{" in c for c in command[:1]):
        reason = executor.check(image, command)
        if reason is not None:
            reasons.append(f"{reason} ({name})")
        problem = (
            getattr(executor, "strict_problem", None) if getattr(executor, "strict_images", False) else None
        )
        if reason is None and problem is not None and strict is not None:
            found = problem(image, command)
            if found is not None:
                strict.append(f"{found} ({name})")
    return reasons


def preflight(
    wf: Mapping[str, Any],
    resolver: Resolver,
    executor: Executor,
    *,
    allow_network: bool = False,
    resumable: bool = False,
) -> list[str]:
    """Reasons this workflow cannot be run faithfully here (empty when it can).

    A workflow ``argo submit`` would reject raises :class:`InputError` with Argo's message first.

    URLs written literally are checked against the network policy here; templated ones when
    their node runs. ``resumable``: the run resumes indefinite suspends itself (after a delay).
    """
    problem = submit_problem(wf, resolver)
    if problem is not None:
        raise InputError(f"invalid workflow (argo submit rejects it): {problem}")
    spec = wf.get("spec") or {}
    reasons = _spec_reasons(spec, allow_network=allow_network, resumable=resumable)
    strict: list[str] = []
    reasons.extend(
        _template_walk(
            wf, resolver, executor, allow_network=allow_network, resumable=resumable, strict=strict
        )
    )
    if strict:
        listed = "; ".join(dict.fromkeys(strict))
        raise InputError(
            f"--strict-images: {len(set(strict))} image(s) would run as a host tool of another version "
            f"than their tag: {listed} (install that version, e.g. with uv, or run without --strict-images)"
        )
    return list(dict.fromkeys(reasons))


def _spec_reasons(spec: Mapping[str, Any], *, allow_network: bool, resumable: bool) -> list[str]:
    """What the workflow's own spec asks that cannot run here: locks, suspend, volumes, arguments."""
    reasons: list[str] = [
        f"unsupported: workflow: {r}" for r in locks.unsupported_reasons(spec.get("synchronization"))
    ]
    if spec.get("suspend") is True and not resumable:
        reasons.append(f"unsupported: the workflow is submitted suspended (spec.suspend): {NEEDS_RESUME}")
    for volume in spec.get("volumes") or []:
        if isinstance(volume, dict) and not ({"emptyDir", "persistentVolumeClaim"} & set(volume)):
            reasons.append(  # noqa: PERF401
                f"unsupported: volume {volume.get('name')!r} of this kind is not available locally"
            )
    for art in (spec.get("arguments") or {}).get("artifacts") or []:
        if isinstance(art, dict):
            reasons.extend(_artifact_reasons("workflow arguments", art, allow_network=allow_network))
    return reasons


def _template_walk(
    wf: Mapping[str, Any],
    resolver: Resolver,
    executor: Executor,
    *,
    allow_network: bool,
    resumable: bool,
    strict: list[str],
) -> list[str]:
    """The reasons of every template reachable from the entrypoint and the hooks (each once)."""
    spec = wf.get("spec") or {}
    reasons: list[str] = []
    root = context_for(wf, Kind.WORKFLOW)
    start: list[tuple[Mapping[str, object], Context]] = [({"template": spec.get("entrypoint")}, root)]
    for _, hook in _hooks(spec):
        start.append((hook, root))
    seen: set[tuple[str, str]] = set()
    while start:
        holder, ctx = start.pop()
        label = str(holder.get("template") or holder.get("templateRef") or "inline")
        if "{{" in label:
            continue
        try:
            resolved = resolver.resolve(holder, ctx)
        except ResolveError as exc:
            reasons.append(f"environment: {exc}")
            continue
        key = (resolved.context.scope, str(resolved.template.get("name") or id(holder)))
        if key in seen:
            continue
        seen.add(key)
        tmpl = merge_template_defaults(spec.get("templateDefaults"), resolved.template)
        reasons.extend(
            _template_reasons(tmpl, executor, allow_network=allow_network, resumable=resumable, strict=strict)
        )
        for _, step in _holders(tmpl):
            start.append((step, resolved.context))
            for _, hook in _hooks(step):
                start.append((hook, resolved.context))
    return reasons

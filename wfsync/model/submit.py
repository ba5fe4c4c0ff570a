"""What ``argo submit -p NAME=VALUE --entrypoint E`` changes in a Workflow's spec.

The local engine (``wfsync run``) and the real-Argo harness (``wfsync submit``) apply the same
options, so they share this one rule: the two must not disagree on which workflow they run.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence


def apply_submit_options(
    spec: MutableMapping[str, object], parameters: Sequence[tuple[str, str]], entrypoint: str | None
) -> None:
    """Set the entrypoint, and each parameter's value (replacing a ``valueFrom``, or added)."""
    if entrypoint:
        spec["entrypoint"] = entrypoint
    if not parameters:
        return
    arguments = spec.setdefault("arguments", {})
    if not isinstance(arguments, dict):
        return
    params = arguments.setdefault("parameters", [])
    if not isinstance(params, list):
        return
    for name, value in parameters:
        for param in params:
            if isinstance(param, dict) and param.get("name") == name:
                param["value"] = value
                param.pop("valueFrom", None)
                break
        else:
            params.append({"name": name, "value": value})

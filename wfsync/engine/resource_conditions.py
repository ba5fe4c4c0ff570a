"""What a resource template's object says: ``successCondition``/``failureCondition`` and output parameters.

Conditions are label-selector style requirements on dotted paths of the object; outputs come
from the object by ``jsonPath`` (or a ``jqFilter`` that is a plain path).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from wfsync.engine.executor import Unsupported
from wfsync.engine.resource_manifest import ResourceFailed

_REQUIREMENT = re.compile(r"^\s*(!?[\w.\[\]/-]+)\s*(==|!=|=|>|<|\s+in\s+|\s+notin\s+)?\s*(.*?)\s*$")


def lookup(obj: object, path: str) -> tuple[bool, object]:
    """A dotted path (``status.phase``, ``items[0].name``) in an object; (found, value)."""
    current = obj
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path.strip(".")):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(current, list) or index >= len(current):
                return False, None
            current = current[index]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return False, None
    return True, current


def text_of(value: object) -> str:
    """A value as kubectl prints it in a condition or output: strings bare, the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def condition_met(condition: str, obj: Mapping[str, object]) -> bool:
    """A label-selector style condition (``status.phase == Succeeded,status.failed > 0``) on ``obj``."""
    for requirement in filter(None, (r.strip() for r in re.split(r",(?![^()]*\))", condition))):
        match = _REQUIREMENT.match(requirement)
        if match is None:
            raise Unsupported(f"condition {condition!r} is not understood locally")
        path, op, value = match.group(1), (match.group(2) or "").strip(), match.group(3)
        negate = path.startswith("!")
        found, current = lookup(obj, path.lstrip("!"))
        if not op:
            if found == negate:
                return False
            continue
        text = text_of(current) if found else ""
        if op in ("==", "="):
            ok = found and text == value
        elif op == "!=":
            ok = not found or text != value
        elif op in (">", "<"):
            try:
                left, right = float(text), float(value)
            except ValueError:
                return False
            ok = left > right if op == ">" else left < right
        else:
            values = {v.strip() for v in value.strip("()").split(",")}
            ok = (found and text in values) if op == "in" else (not found or text not in values)
        if not ok:
            return False
    return True


def check_conditions(res: Mapping[str, object], obj: Mapping[str, object]) -> None:
    """Fail on ``failureCondition``; refuse a ``successCondition`` only a controller could make true."""
    success, failure = res.get("successCondition"), res.get("failureCondition")
    if not success and not failure:
        return
    if failure and condition_met(str(failure), obj):
        raise ResourceFailed(f"failure condition '{failure}' met")
    if success and condition_met(str(success), obj):
        return
    if not success:
        return
    raise Unsupported(
        f"resource condition '{success}' is not met yet and only a controller could change that locally"
    )


def outputs(tmpl: Mapping[str, Any], obj: Mapping[str, Any] | None) -> dict[str, object]:
    """The node's outputs: each output parameter read from the object (or its default)."""
    params = []
    for param in (tmpl.get("outputs") or {}).get("parameters") or []:
        value_from = param.get("valueFrom") or {}
        path = value_from.get("jsonPath") or value_from.get("jqFilter")
        out = {k: v for k, v in param.items() if k != "valueFrom"}
        if path:
            text = str(path).strip()
            if text.startswith("{") and text.endswith("}"):
                text = text[1:-1]
            if any(ch in text for ch in "|?*@()"):
                raise Unsupported(
                    f"output parameter {param.get('name')!r}: path {path!r} is not implemented locally"
                )
            found, value = lookup(obj or {}, text)
            if not found:
                if value_from.get("default") is not None:
                    out["value"] = str(value_from["default"])
                    params.append(out)
                    continue
                raise ResourceFailed(
                    f"output parameter {param.get('name')!r}: {path} not found in the resource"
                )
            out["value"] = text_of(value)
        elif value_from.get("default") is not None:
            out["value"] = str(value_from["default"])
        else:
            continue
        params.append(out)
    return {"parameters": params} if params else {}

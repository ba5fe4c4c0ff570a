"""Arguments into inputs, loop expansion and loop output aggregation (``workflow/common``).

Pure functions over plain dicts: :func:`process_args` is ``common.ProcessArgs`` plus
``SubstituteParams``, :func:`expand_items` is ``expandStep``/``expandTask`` with
``processItem``'s node naming, :func:`aggregate_outputs` is ``processAggregateNodeOutputs``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

from wfsync.engine.substitute import Substituter, SubstitutionError, substitute
from wfsync.errors import ExitCode, WfsyncError
from wfsync.expressions.exprlang.values import go_json
from wfsync.expressions.govaluate import WhenError, evaluate_when


class ArgumentError(WfsyncError):
    """Arguments that do not satisfy a template's inputs (the node becomes Error)."""

    exit_code = ExitCode.FINDINGS


def param_string(value: object) -> str:
    """A parameter value as Argo's ``AnyString`` holds it (YAML numbers and bools as their text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return go_json(value)
    return item_json(value)


def item_json(value: object) -> str:
    """Compact JSON as Go marshals it, with ``<``, ``>`` and ``&`` left readable (``jsonutil.Fix``)."""
    return go_json(value).replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")


def item_string(value: object) -> str:
    """``fmt.Sprintf("%v", item)``: strings raw, everything else as JSON."""
    return value if isinstance(value, str) else param_string(value)


def process_args(
    tmpl: dict[str, Any],
    args: Mapping[str, Any],
    global_params: Mapping[str, str],
    local_params: Mapping[str, str],
    config_map: Callable[[str, str], str | None] | None = None,
) -> dict[str, object]:
    """Bind ``args`` to the template's inputs and substitute globals, locals and inputs (lenient)."""
    new = copy.deepcopy(tmpl)
    inputs = new.get("inputs") or {}
    arg_params = {p.get("name"): p for p in args.get("parameters") or [] if isinstance(p, dict)}
    arg_artifacts = {a.get("name"): a for a in args.get("artifacts") or [] if isinstance(a, dict)}
    for param in inputs.get("parameters") or []:
        name = param.get("name")
        if param.get("value") is None and param.get("default") is not None:
            param["value"] = param["default"]
        given = arg_params.get(name)
        if given is not None:
            if given.get("value") is not None:
                param["value"] = given["value"]
            elif given.get("valueFrom") is not None:
                param["valueFrom"] = given["valueFrom"]
        ref = (param.get("valueFrom") or {}).get("configMapKeyRef")
        if isinstance(ref, dict) and config_map is not None:
            found = config_map(str(ref.get("name")), str(ref.get("key")))
            if found is not None:
                param["value"] = found
            elif param.get("value") is None:
                raise ArgumentError(
                    f"unable to retrieve inputs.parameters.{name} from ConfigMap: configmap {ref.get('name')} key {ref.get('key')} not found"
                )
        if param.get("value") is None:
            raise ArgumentError(f"inputs.parameters.{name} was not supplied")
        param["value"] = param_string(param["value"])
        enum = param.get("enum")
        if enum and param["value"] not in [param_string(e) for e in enum]:
            raise ArgumentError(f"inputs.parameters.{name}: value '{param['value']}' is not in enum")
    for art in inputs.get("artifacts") or []:
        given = arg_artifacts.get(art.get("name"))
        if given is not None:
            location = {k: v for k, v in given.items() if k not in ("name", "path", "mode", "optional")}
            for key in [
                k for k in art if k not in ("name", "path", "mode", "optional", "subPath", "archive")
            ]:
                del art[key]
            art.update(copy.deepcopy(location))
        elif not has_location(art) and not art.get("optional"):
            raise ArgumentError(f"inputs.artifacts.{art.get('name')} was not supplied")
    new = substitute(new, {**global_params, **local_params})
    processed: dict[str, object] = substitute(new, input_params(new))
    return processed


def has_location(art: Mapping[str, object]) -> bool:
    """Whether an artifact says where its data is (raw, s3, http, git, ...)."""
    return any(
        k in art for k in ("raw", "s3", "http", "git", "gcs", "oss", "azure", "hdfs", "artifactory", "wfsync")
    )


def input_params(tmpl: Mapping[str, Any]) -> dict[str, str]:
    """The second substitution pass: ``inputs.parameters.*`` and the declared ``.path`` variables."""
    inputs = tmpl.get("inputs") or {}
    outputs = tmpl.get("outputs") or {}
    out: dict[str, str] = {}
    params = inputs.get("parameters") or []
    for p in params:
        if p.get("value") is not None:
            out[f"inputs.parameters.{p['name']}"] = param_string(p["value"])
    if params:
        out["inputs.parameters"] = json.dumps(params, separators=(",", ":"))
    for a in inputs.get("artifacts") or []:
        if a.get("path"):
            out[f"inputs.artifacts.{a['name']}.path"] = a["path"]
    for a in outputs.get("artifacts") or []:
        if a.get("path"):
            out[f"outputs.artifacts.{a['name']}.path"] = a["path"]
    for p in outputs.get("parameters") or []:
        path = (p.get("valueFrom") or {}).get("path")
        if path:
            out[f"outputs.parameters.{p['name']}.path"] = path
    return out


def _when_false(when: str) -> bool:
    try:
        return not evaluate_when(when)
    except WhenError:
        return False


def _should_expand(step: Mapping[str, object]) -> bool:
    return bool(step.get("withItems")) or bool(step.get("withParam")) or step.get("withSequence") is not None


def expand_sequence(seq: Mapping[str, object]) -> list[object]:
    """``expandSequence``: strings from ``start`` to ``end`` (or ``count``), up or down, formatted."""

    def number(key: str) -> int:
        try:
            return int(str(seq[key]).strip())
        except ValueError:
            raise ArgumentError(f'strconv.Atoi: parsing "{seq[key]}": invalid syntax') from None

    start = number("start") if seq.get("start") is not None else 0
    if seq.get("end") is not None:
        end = number("end")
    elif seq.get("count") is not None:
        count = number("count")
        if count == 0:
            return []
        end = start + count - 1
    else:
        raise ArgumentError("neither end nor count was specified in withSequence")
    fmt = str(seq.get("format") or "%d")
    step = 1 if start <= end else -1
    return [_printf(fmt, i) for i in range(start, end + step, step)]


def _printf(fmt: str, value: int) -> str:
    try:
        return fmt.replace("%v", "%d") % value
    except (TypeError, ValueError):
        return f"{fmt}%!(EXTRA int={value})"


def _desc(item: object) -> str:
    if isinstance(item, dict):
        return ",".join(sorted(f"{k}:{item_string(v)}" for k, v in item.items()))
    if isinstance(item, list):
        return "[" + " ".join(_go_fmt(v) for v in item) + "]"
    return item_string(item)


def _go_fmt(value: object) -> str:
    if isinstance(value, list):
        return "[" + " ".join(_go_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_fmt(value[k])}" for k in sorted(value)) + "]"
    return item_string(value)


def loop_items(step: Mapping[str, Any]) -> list[object]:
    """The items a looped step or task iterates over (raises :class:`ArgumentError` like Argo)."""
    when = str(step.get("when") or "")
    if step.get("withItems"):
        return list(step["withItems"])
    if step.get("withParam"):
        raw = step["withParam"]
        if isinstance(raw, list):
            return raw
        try:
            items = json.loads(str(raw))
        except ValueError as exc:
            if _when_false(when):
                return []
            raise ArgumentError(
                f"withParam value could not be parsed as a JSON list: {str(raw).strip()}: {exc}"
            ) from None
        if not isinstance(items, list):
            if _when_false(when):
                return []
            raise ArgumentError(f"withParam value could not be parsed as a JSON list: {str(raw).strip()}")
        return items
    if step.get("withSequence") is not None:
        return expand_sequence(step["withSequence"])
    return []


def expand_items(step: Mapping[str, object]) -> list[dict[str, Any]]:
    """One step per loop item, named ``<name>(<i>:<desc>)``, with ``{{item...}}`` substituted (strict)."""
    if not _should_expand(step):
        return [dict(step)]
    items = loop_items(step)
    base = {k: v for k, v in step.items() if k not in ("withItems", "withParam", "withSequence")}
    when = str(step.get("when") or "")
    lenient = _when_false(when)
    expanded: list[dict[str, object]] = []
    for index, item in enumerate(items):
        replace: dict[str, str] = {}
        if isinstance(item, dict):
            for key, value in item.items():
                replace[f"item.{key}"] = item_string(value)
            replace["item"] = item_json(item)
        elif isinstance(item, list):
            replace["item"] = item_json(item)
        elif isinstance(item, str | int | float | bool):
            replace["item"] = item_string(item)
        else:
            raise ArgumentError(f"withItems[{index}] expected string, number, list, or map. received: {item}")
        desc = _desc(item).replace("(", "").replace(")", "")
        try:
            new = Substituter(replace, allow_unresolved=lenient).value(base)
        except SubstitutionError:
            raise
        new["name"] = f"{step['name']}({index}:{desc})"
        for key in ("template", "templateRef", "inline"):
            if key in step:
                new[key] = copy.deepcopy(step[key])
        expanded.append(new)
    return expanded


def aggregated_json_value_list(values: list[str]) -> str:
    """``aggregatedJsonValueList``: JSON objects/lists embedded when all parse, else strings."""
    parsed: list[object] = []
    for value in values:
        try:
            loaded = json.loads(value)
        except ValueError:
            return item_json(values)
        if not isinstance(loaded, dict | list):
            return item_json(values)
        parsed.append(loaded)
    return item_json(parsed)


def aggregate_outputs(
    prefix: str, children: list[tuple[int, Mapping[str, Any] | None, str]]
) -> dict[str, str]:
    """Loop outputs as scope entries; ``children`` is ``(loop index, outputs, phase)`` per child.

    Only Succeeded children count. A result that is not JSON is kept as a JSON string (Argo fails
    the aggregation there, issue #10775, but only when the result is captured at all).
    """
    results: list[object] = []
    param_list: list[dict[str, str]] = []
    per_name: dict[str, list[str]] = {}
    for _, outputs, phase in sorted(children, key=lambda c: c[0]):
        if outputs is None or phase != "Succeeded":
            continue
        params = outputs.get("parameters") or []
        if params:
            entry: dict[str, str] = {}
            for p in params:
                value = param_string(p.get("value", ""))
                entry[p["name"]] = value
                per_name.setdefault(p["name"], []).append(value)
            param_list.append(entry)
        if outputs.get("result") is not None:
            try:
                results.append(json.loads(outputs["result"]))
            except ValueError:
                results.append(outputs["result"])
    scope = {
        f"{prefix}.outputs.result": item_json(results),
        f"{prefix}.outputs.parameters": item_json(param_list),
    }
    for name, values in per_name.items():
        scope[f"{prefix}.outputs.parameters.{name}"] = aggregated_json_value_list(values)
    return scope


def loop_index(name: str) -> int:
    """The loop index in a node name ending ``(<i>:<desc>)`` (``RecoverIndexFromNodeName``)."""
    open_at = name.rfind("(")
    while open_at >= 0:
        head = name[open_at + 1 :].split(":", 1)[0]
        if head.isdigit():
            return int(head)
        open_at = name.rfind("(", 0, open_at)
    return -1

"""Argo's Workflow ``status`` as the engine's :class:`~wfsync.engine.status.WorkflowStatus`.

``submit`` renders and ``verify`` compares what the real controller wrote with the same types
as a local run, so both read one model. The status comes from a server wfsync does not trust:
every field is type-checked (a wrong one is a :class:`StatusError` naming it, never a crash),
missing fields take their empty value (a status is partial while the controller works), and
unknown phases and node types are kept as the strings Argo sent.

Argo shrinks a large status in two ways: ``status.compressedNodes`` (the nodes' JSON, gzipped
and base64-encoded, ``file.CompressEncodeString``) and offloading (``offloadNodeStatusVersion``
set, nodes kept in Argo's database, reachable only through the Argo Server). The first is
decoded here with a bound on its expanded size; the second is detected by :func:`offloaded`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import io
import json
import zlib
from collections.abc import Mapping

from wfsync.cluster.api import Obj
from wfsync.engine.status import Node, WorkflowStatus, pod_name
from wfsync.errors import CompletionError

MAX_COMPRESSED_CHARS = 16 * 1024 * 1024
"""Longest ``compressedNodes`` text read (Kubernetes caps a whole object near 1.5 MB anyway)."""
MAX_EXPANDED_BYTES = 256 * 1024 * 1024
"""Largest decompressed node JSON accepted: beyond it the text is a decompression bomb."""


class StatusError(CompletionError):
    """The workflow's status is not shaped as Argo writes it (the message names the field)."""


def workflow_status(workflow: Obj) -> WorkflowStatus:
    """The status of ``workflow`` (a Workflow object as the API returns it), nodes included.

    Nodes come from ``status.nodes``, else from ``status.compressedNodes``; an offloaded status
    has none (see :func:`offloaded`). Pod nodes get the pod name Argo derives from their name.
    """
    if not isinstance(workflow, Mapping):
        raise StatusError(f"workflow: expected an object, got {_kind(workflow)}")
    meta = _mapping(workflow.get("metadata"), "metadata")
    name = _string(meta.get("name"), "metadata.name")
    if not name:
        raise StatusError("metadata.name: missing")
    raw = _mapping(workflow.get("status"), f"workflow {name}: status")
    where = f"workflow {name}: status"
    status = WorkflowStatus(
        name=name,
        phase=_string(raw.get("phase"), f"{where}.phase"),
        message=_string(raw.get("message"), f"{where}.message"),
        started=_time(raw.get("startedAt"), f"{where}.startedAt"),
        finished=_time(raw.get("finishedAt"), f"{where}.finishedAt"),
        outputs=dict(_mapping(raw.get("outputs"), f"{where}.outputs")),
        stored_templates=dict(_mapping(raw.get("storedTemplates"), f"{where}.storedTemplates")),
    )
    nodes: Mapping[str, object] = _mapping(raw.get("nodes"), f"{where}.nodes")
    if not nodes and raw.get("compressedNodes") is not None:
        text = _string(raw.get("compressedNodes"), f"{where}.compressedNodes")
        nodes = decode_nodes(text, f"{where}.compressedNodes")
    for key, value in nodes.items():
        status.add(_node(name, str(key), value, f"{where}.nodes[{key}]"))
    return status


def offloaded(workflow: Obj) -> bool:
    """Whether Argo offloaded the nodes: ``offloadNodeStatusVersion`` set and no nodes in the object.

    Only the Argo Server (which reads Argo's database) can give such a workflow's nodes.
    """
    raw = workflow.get("status") if isinstance(workflow, Mapping) else None
    if not isinstance(raw, Mapping):
        return False
    return (
        bool(raw.get("offloadNodeStatusVersion")) and not raw.get("nodes") and not raw.get("compressedNodes")
    )


def encode_nodes(nodes: Mapping[str, object]) -> str:
    """``status.compressedNodes`` for ``nodes``: base64 of the gzipped JSON (``file.CompressEncodeString``)."""
    data = json.dumps(nodes, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(data)).decode("ascii")


def decode_nodes(text: str, where: str = "status.compressedNodes") -> dict[str, object]:
    """The nodes ``text`` holds (see :func:`encode_nodes`), refusing more than ``MAX_EXPANDED_BYTES``."""
    if len(text) > MAX_COMPRESSED_CHARS:
        raise StatusError(f"{where}: {len(text)} characters, more than the {MAX_COMPRESSED_CHARS} read")
    try:
        packed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise StatusError(f"{where}: not base64 ({exc})") from None
    data = _gunzip(packed, where)
    try:
        nodes = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StatusError(f"{where}: not JSON once decompressed ({exc})") from None
    except RecursionError:
        raise StatusError(f"{where}: JSON nested too deep once decompressed") from None
    if not isinstance(nodes, dict):
        raise StatusError(f"{where}: expected an object of nodes, got {_kind(nodes)}")
    return nodes


def _gunzip(packed: bytes, where: str) -> bytes:
    """Decompress in bounded chunks, so that a bomb costs at most the bound in memory."""
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(packed)) as stream:
            while chunk := stream.read(1024 * 1024):
                out.write(chunk)
                if out.tell() > MAX_EXPANDED_BYTES:
                    raise StatusError(
                        f"{where}: expands beyond {MAX_EXPANDED_BYTES} bytes (refused as a decompression bomb)"
                    )
    except (OSError, EOFError, zlib.error) as exc:
        raise StatusError(f"{where}: not gzip data ({exc})") from None
    return out.getvalue()


def _node(workflow_name: str, key: str, raw: object, where: str) -> Node:
    body = _mapping(raw, where)
    name = _string(body.get("name"), f"{where}.name")
    if not name:
        raise StatusError(f"{where}.name: missing")
    template_ref = body.get("templateRef")
    if template_ref is not None:
        template_ref = dict(_mapping(template_ref, f"{where}.templateRef"))
    flags = _mapping(body.get("nodeFlag"), f"{where}.nodeFlag")
    sync = _mapping(body.get("synchronizationStatus"), f"{where}.synchronizationStatus")
    node = Node(
        id=_string(body.get("id"), f"{where}.id") or key,
        name=name,
        display_name=_string(body.get("displayName"), f"{where}.displayName"),
        type=_string(body.get("type"), f"{where}.type"),
        phase=_string(body.get("phase"), f"{where}.phase"),
        boundary_id=_string(body.get("boundaryID"), f"{where}.boundaryID"),
        template_name=_string(body.get("templateName"), f"{where}.templateName"),
        template_ref=template_ref or None,
        template_scope=_string(body.get("templateScope"), f"{where}.templateScope"),
        message=_string(body.get("message"), f"{where}.message"),
        started=_time(body.get("startedAt"), f"{where}.startedAt"),
        finished=_time(body.get("finishedAt"), f"{where}.finishedAt"),
        inputs=_optional_mapping(body.get("inputs"), f"{where}.inputs"),
        outputs=_optional_mapping(body.get("outputs"), f"{where}.outputs"),
        children=_strings(body.get("children"), f"{where}.children"),
        outbound_nodes=_strings(body.get("outboundNodes"), f"{where}.outboundNodes"),
        hooked=_flag(flags.get("hooked"), f"{where}.nodeFlag.hooked"),
        retried=_flag(flags.get("retried"), f"{where}.nodeFlag.retried"),
        host_node_name=_string(body.get("hostNodeName"), f"{where}.hostNodeName"),
        daemoned=_flag(body.get("daemoned"), f"{where}.daemoned"),
        pod_ip=_string(body.get("podIP"), f"{where}.podIP"),
        sync_waiting=_string(sync.get("waiting"), f"{where}.synchronizationStatus.waiting"),
    )
    if node.type == "Pod":
        node.pod_name = pod_name(workflow_name, node.name, _pod_template(node))
    return node


def _pod_template(node: Node) -> str:
    """The template name in a pod's name: ``templateRef.template`` for a referenced one (``GetTemplateName``)."""
    if node.template_ref and isinstance(node.template_ref.get("template"), str):
        return str(node.template_ref["template"])
    return node.template_name


def _kind(value: object) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise StatusError(f"{where}: expected an object, got {_kind(value)}")
    return value


def _optional_mapping(value: object, where: str) -> dict[str, object] | None:
    found = _mapping(value, where)
    return dict(found) if found else None


def _string(value: object, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise StatusError(f"{where}: expected a string, got {_kind(value)}")
    return value


def _strings(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StatusError(f"{where}: expected a list of strings, got {_kind(value)}")
    return list(value)


def _flag(value: object, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise StatusError(f"{where}: expected true or false, got {_kind(value)}")
    return value


def _time(value: object, where: str) -> float:
    """RFC3339 (``2024-05-01T10:00:00Z``, fractions and offsets allowed) as epoch seconds; null is 0."""
    text = _string(value, where)
    if not text:
        return 0.0
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise StatusError(f"{where}: {text!r} is not an RFC3339 time") from None
    if parsed.tzinfo is None:
        raise StatusError(f"{where}: {text!r} has no time zone")
    return parsed.timestamp()

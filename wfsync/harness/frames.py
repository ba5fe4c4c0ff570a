"""The successive statuses of a local run, and the same statuses under another workflow name.

A local run calls ``on_change`` after every pass that changed a node; the ``status`` objects seen
there, deduplicated, are the frames the controller went through. Replayed under the name of a
workflow created elsewhere (the test controller does this on the Kubernetes test server), they
let ``submit`` and ``verify`` be exercised with statuses Argo's semantics produced, without Argo.

Renaming is more than a prefix swap: node IDs and pod names hash the node's full name
(``<wf>-<fnv1a32(name)>``), so each is recomputed from the renamed node's name.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping

from wfsync.cluster.api import Obj
from wfsync.engine.status import WorkflowStatus, node_id, pod_name

OnChange = Callable[[WorkflowStatus], None]


class FrameRecorder:
    """An ``on_change`` callback keeping each distinct ``status`` object, in order."""

    def __init__(self) -> None:
        self.frames: list[Obj] = []
        self._last = ""

    def __call__(self, status: WorkflowStatus) -> None:
        """Record ``status`` as it is now (the engine keeps mutating the object)."""
        self.add(status.to_json())

    def add(self, frame: Mapping[str, object]) -> None:
        """Keep ``frame`` (a copy) unless it equals the last one kept."""
        key = json.dumps(frame, sort_keys=True, default=str)
        if key != self._last:
            self.frames.append(copy.deepcopy(dict(frame)))
            self._last = key


def record_frames(run: Callable[[OnChange], Obj]) -> list[Obj]:
    """The frames of ``run``, which runs a workflow with the callback it is given and returns it.

    The last frame is the returned Workflow's own ``status`` (the one a run ends with, which the
    last ``on_change`` may precede)::

        frames = record_frames(lambda cb: run(RunRequest(path=p, on_change=cb)).workflow)
    """
    recorder = FrameRecorder()
    workflow = run(recorder)
    final = workflow.get("status")
    if isinstance(final, Mapping):
        recorder.add(final)
    return recorder.frames


def rename_frame(frame: Mapping[str, object], old: str, new: str) -> Obj:
    """``frame`` (a ``status`` object) as workflow ``new`` would hold it, recorded for ``old``.

    Node names starting with ``old`` get ``new`` instead; IDs and pod names are recomputed from
    the new names, and every string of the frame (children, boundaries, messages, outputs) that
    held an old ID, pod name or the old workflow name holds the new one.
    """
    replace: dict[str, str] = {old: new}
    nodes = frame.get("nodes")
    for key, node in (nodes or {}).items() if isinstance(nodes, Mapping) else ():
        if not isinstance(node, Mapping) or not isinstance(node.get("name"), str):
            continue
        name = node["name"]
        renamed = new + name[len(old) :] if name.startswith(old) else name
        replace[str(key)] = node_id(new, renamed)
        replace[node_id(old, name)] = node_id(new, renamed)
        for template in _pod_templates(node):
            replace[pod_name(old, name, template)] = pod_name(new, renamed, template)
    names = NameSwap(old, replace)

    def swap(value: object) -> object:
        if isinstance(value, str):
            return names(value)
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, Mapping):
            return {swap(k): swap(v) for k, v in value.items()}
        return value

    swapped = swap(dict(frame))
    return dict(swapped) if isinstance(swapped, Mapping) else {}


class NameSwap:
    """Replaces the names a run derives from its workflow's name (node IDs, pod names) inside any text.

    Every such name starts with the workflow's name, so one scan finds the candidates (the name
    followed by name characters) and each is cut back at ``-`` or ``.`` to the longest one
    ``table`` knows: linear in the text, whatever the number of nodes (an alternation of every
    node's ID and pod name costs their number on every string).
    """

    def __init__(self, name: str, table: Mapping[str, str]) -> None:
        self.table = dict(table)
        self.table.setdefault(name, name)
        self._scan = re.compile(rf"(?<![A-Za-z0-9]){re.escape(name)}[-A-Za-z0-9.]*")

    def __call__(self, text: str) -> str:
        """``text`` with each known name replaced (the longest one at each place)."""
        return self._scan.sub(self._swap, text) if text else text

    def _swap(self, match: re.Match[str]) -> str:
        token = match.group(0)
        end = len(token)
        while True:
            found = self.table.get(token[:end])
            if found is not None:
                return found + token[end:]
            end = max(token.rfind("-", 0, end), token.rfind(".", 0, end))
            if end <= 0:
                return token  # the bare name sits in the table: unreachable unless it is empty


def _pod_templates(node: Mapping[str, object]) -> list[str]:
    """Template names a pod of ``node`` may carry: its own, and a ``templateRef``'s template."""
    found = [own] if isinstance(own := node.get("templateName"), str) else []
    ref = node.get("templateRef")
    if isinstance(ref, Mapping) and isinstance(template := ref.get("template"), str):
        found.append(template)
    return found or [""]

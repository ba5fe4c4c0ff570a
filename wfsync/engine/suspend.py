"""Suspend templates: wait for a duration, or stand in for ``argo resume`` (``executeSuspend``)."""

from __future__ import annotations

import copy
import time
from typing import Any

from wfsync.engine import status as st
from wfsync.engine.durations import parse_duration
from wfsync.engine.nodes import DEADLINE_MESSAGE, OperationState, Opts, node_inputs
from wfsync.engine.params import param_string
from wfsync.model.kinds import NodeType

RESUME_POLL_SECONDS = 0.2
"""How often a waiting suspend looks for a ``wfsync resume`` request."""


class SuspendMixin(OperationState):
    """The Suspend node of a suspend template."""

    def execute_suspend(
        self, node_name: str, tmpl: dict[str, Any], opts: Opts, common: dict[str, Any]
    ) -> st.Node:
        """``executeSuspend``: Succeeds once its duration has passed, supplied outputs defaulted.

        Without a duration it waits for ``argo resume``: ``wfsync resume`` in an interactive run,
        else the run's ``resume_after`` delay stands in for it (``ResumeWorkflow`` refuses
        supplied outputs with no value and no default); without either the node fails saying
        it needs a resume.
        """
        node = self.status.by_name(node_name)
        if node is None:
            node = self.init_node(
                node_name, NodeType.SUSPEND, st.PENDING, opts, inputs=node_inputs(tmpl), **common
            )
            outputs = tmpl.get("outputs") or {}
            if outputs.get("parameters"):
                node.outputs = {"parameters": copy.deepcopy(outputs["parameters"])}
        duration = (tmpl.get("suspend") or {}).get("duration")
        if duration is None or str(duration) == "":
            resume = self.options.resume
            if resume is not None:
                resumed = resume.resumed(node.name, node.display_name, node.started)
                until = 0.0 if resumed else time.time() + RESUME_POLL_SECONDS
            elif self.options.resume_after is None:
                return self.mark(
                    node,
                    st.FAILED,
                    f"suspended: node {node_name} waits for `argo resume`, which this non-interactive "
                    "run cannot give (give the suspend a duration, or run with --resume-after SECONDS)",
                )
            else:
                until = node.started + self.options.resume_after
            if time.time() >= until:
                for p in (node.outputs or {}).get("parameters") or []:
                    value_from = p.get("valueFrom") or {}
                    if value_from.get("supplied") is not None and value_from.get("default") is None:
                        return self.mark(
                            node,
                            st.ERROR,
                            f"cannot resume: raw output parameter '{p.get('name')}' has not been set "
                            "and does not have a default value",
                        )
        else:
            until = node.started + parse_duration(duration)
        if time.time() >= until:
            for p in (node.outputs or {}).get("parameters") or []:
                value_from = p.pop("valueFrom", None) or {}
                if value_from.get("default") is not None:
                    p["value"] = param_string(value_from["default"])
            return self.mark(node, st.SUCCEEDED)
        self.wakeups.append(until)
        if self.deadline is not None and time.time() >= self.deadline and not opts.on_exit:
            return self.mark(node, st.FAILED, DEADLINE_MESSAGE)
        return self.mark(node, st.RUNNING)

"""The node tree of a workflow as ``argo get`` shows it: the final table and the live redraw.

``wfsync run`` (the local engine) and ``wfsync submit`` (a real Argo) render the same
:class:`~wfsync.engine.status.WorkflowStatus`, so a user reads one layout whichever ran it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.markup import escape

from wfsync.cli.terminal import Terminal

if TYPE_CHECKING:
    from wfsync.engine.status import WorkflowStatus

COLOURS = {"Succeeded": "green", "Failed": "red", "Error": "red", "Running": "cyan", "Pending": "cyan"}


def text(term: Terminal, status: WorkflowStatus, substitutions: Mapping[str, str] | None = None) -> None:
    """Header, summary notes and the node table; with ``--quiet`` only the failed nodes and why."""
    if term.quiet:  # only what the exit code cannot say: which nodes failed, and why
        for node in status.nodes.values():
            if node.phase in ("Failed", "Error"):
                term.result(f"{node.name}: {node.phase}: {node.message}", markup=False)
        return
    colour = COLOURS.get(status.phase, "yellow")
    term.result(f"Name:                {escape(status.name)}")
    term.result(f"Status:              [{colour}]{status.phase}[/{colour}]")
    if status.message:
        term.result(f"Message:             {escape(status.message)}")
    term.result(f"Duration:            {duration(status)}")
    term.result(f"Progress:            {status.progress()}")
    for image, stand_in in sorted((substitutions or {}).items()):
        term.print(f"[dim]Image substituted:   {escape(image)} -> {escape(stand_in)}[/dim]")
    for note in status.notes:  # stand-ins that ran images, what was not checked locally
        term.print(f"[dim]Note:                {escape(note)}[/dim]")
    term.result("")
    for line in tree_lines(status):
        term.result(line, markup=False)


def duration(status: WorkflowStatus) -> str:
    """The workflow's duration so far, as ``argo get`` writes it."""
    from wfsync.engine.report import format_duration

    return format_duration((status.finished or time.time()) - status.started)


def tree_lines(status: WorkflowStatus) -> list[str]:
    """The node table of ``argo get``: one line a node, indented as the tree."""
    from wfsync.engine.report import ICONS, format_duration, tree

    rows = tree(status)
    width = max((len(r.prefix) + 2 + len(r.node.display_name) for r in rows), default=10) + 2
    lines = [f"{'STEP':{width}} {'TYPE':10} {'TEMPLATE':24} {'DURATION':>8}  MESSAGE"]
    for row in rows:
        node = row.node
        icon = ICONS.get(node.phase, "?")
        label = f"{row.prefix}{icon} {node.display_name}"
        template = node.template_name or str((node.template_ref or {}).get("template", ""))
        shown = format_duration(row.seconds) if node.type in ("Pod", "Suspend") else ""
        message = node.message if node.phase != "Succeeded" or node.message else ""
        lines.append(f"{label:{width}} {node.type:10} {template:24} {shown:>8}  {message}")
    return lines


class LiveTree:
    """The tree redrawn in place while the workflow runs (a terminal only), as ``argo get --watch``."""

    def __init__(self, term: Terminal, max_fps: float = 10.0) -> None:
        from rich.live import Live

        self._live = Live(console=term.out, transient=True, auto_refresh=False)
        self._live.start()
        self._next = 0.0
        self._interval = 1.0 / max_fps
        self.frames = 0
        """Redraws so far (what the frame-rate bound is measured on)."""

    def update(self, status: WorkflowStatus) -> None:
        """Redraw, at most ``max_fps`` times a second (callers call this after every change).

        A redraw costs time linear in the nodes on the caller's thread, so the pause after one
        is also at least ten times what it took: a tree of thousands of nodes redraws less
        often instead of taking over the run.
        """
        now = time.monotonic()
        if now < self._next:
            return
        from rich.text import Text

        head = [f"Name:                {status.name}", f"Status:              {status.phase}"]
        head += [f"Duration:            {duration(status)}", f"Progress:            {status.progress()}", ""]
        self._live.update(Text("\n".join(head + tree_lines(status))), refresh=True)
        self.frames += 1
        done = time.monotonic()
        self._next = done + max(self._interval, 10 * (done - now))

    def stop(self) -> None:
        """Clear the live view; the final tree is printed after it."""
        self._live.stop()


def live_view(term: Terminal, max_fps: float = 10.0) -> LiveTree | None:
    """A live tree on a terminal, ``None`` when quiet."""
    return None if term.quiet else LiveTree(term, max_fps)

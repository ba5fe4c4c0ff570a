"""The node tree of a workflow as ``argo get`` shows it: the final table, the live redraw, CI lines.

``wfsync run`` (the local engine) and ``wfsync submit`` (a real Argo) render the same
:class:`~wfsync.engine.status.WorkflowStatus`, so a user reads one layout whichever ran it.
Everything a workflow controls (names, messages, parameters) goes out through :func:`literal`
inside rich ``Text`` objects: never read as markup or emoji codes, and no control character
reaches the terminal, so a workflow cannot restyle, move the cursor or retitle the window.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text

from wfsync.cli.terminal import PROGRESS_DELAY, Terminal
from wfsync.engine import report
from wfsync.engine import status as st
from wfsync.model.kinds import NodeType

if TYPE_CHECKING:
    from rich.live import Live

COLOURS = {
    st.SUCCEEDED: "green",
    st.FAILED: "red",
    st.ERROR: "red",
    st.RUNNING: "cyan",
    st.PENDING: "yellow",
}
"""Colours of the phases and their icons, as the argo CLI uses them."""
LABEL_WIDTH = 20
"""Header labels are padded to this width (``%-20s``)."""
PADDING = 2
"""Spaces between two columns of the table (the argo CLI's tabwriter padding)."""

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def literal(value: object) -> str:
    r"""``value`` as printable text: control, bidi and line-separator characters written as escapes.

    An ESC character becomes the four characters ``\x1b``, so ``ESC[31m`` shows as text instead of
    colouring the terminal; a message with a newline (``\n``) stays on its row of the table.
    """
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # the common case, in C: no control, format or separator character
        return text
    return _UNSAFE.sub(_escape, text)


# --- the header and the table --------------------------------------------------------------------


def header_lines(
    status: st.WorkflowStatus,
    workflow: Mapping[str, object] | None = None,
    *,
    now: float | None = None,
    tz: dt.tzinfo | None = None,
) -> list[Text]:
    """``Name:``, ``Status:`` ... as ``argo get`` prints them, the phase coloured."""
    when = time.time() if now is None else now
    lines = []
    for label, value in report.header(status, workflow, when, tz):
        line = Text(f"{label:{LABEL_WIDTH}} {literal(value)}".rstrip())
        if label == "Status:":
            line.stylize(COLOURS.get(status.phase, "yellow"), LABEL_WIDTH + 1)
        lines.append(line)
    return lines


def table(status: st.WorkflowStatus, *, now: float | None = None) -> list[Text]:
    """The node table: STEP, TEMPLATE, PODNAME, DURATION, MESSAGE, columns aligned, icons coloured.

    Empty before the workflow's root node exists. Widths are terminal cells, so wide characters
    in a name keep the columns straight.
    """
    rows = report.tree(status, now)
    if not rows:
        return []
    grid: list[tuple[str, ...]] = [report.COLUMNS]
    sizes = [[len(name) for name in report.COLUMNS]]
    for row in rows:
        step, *rest = (literal(cell) for cell in report.cells(status, row))
        grid.append((row.prefix + step, *rest))
        # the prefix and icon repeat from row to row: measured once each
        sizes.append([_lead(row.prefix + step[:1]) + _width(step[1:]), *(_width(cell) for cell in rest[:3])])
    widths = [max(size[column] for size in sizes) + PADDING for column in range(4)]
    out = []
    for index, (line, size) in enumerate(zip(grid, sizes, strict=True)):
        parts = [cell + " " * (width - used) for cell, width, used in zip(line, widths, size, strict=False)]
        text = Text((("".join(parts)) + line[4]).rstrip())
        if index:
            row = rows[index - 1]
            colour = "cyan" if report.icon(row.node) == report.SUSPENDED_ICON else COLOURS.get(row.node.phase)
            if colour and not report.is_separator(row):
                text.stylize(colour, len(row.prefix), len(row.prefix) + 1)
        out.append(text)
    return out


def _width(cell: str) -> int:
    """Terminal cells of ``cell``: its length when ASCII, else rich's measure (wide characters count 2)."""
    return len(cell) if cell.isascii() else cell_len(cell)


@functools.lru_cache(maxsize=4096)
def _lead(prefix: str) -> int:
    return cell_len(prefix)


def tree_lines(status: st.WorkflowStatus, *, now: float | None = None) -> list[str]:
    """The node table of ``argo get`` as plain lines (no styles): one line a drawn node."""
    return [line.plain for line in table(status, now=now)]


def text(
    term: Terminal,
    status: st.WorkflowStatus,
    substitutions: Mapping[str, str] | None = None,
    *,
    workflow: Mapping[str, object] | None = None,
    now: float | None = None,
    tz: dt.tzinfo | None = None,
) -> None:
    """Header, summary notes and the node table; with ``--quiet`` only the failed nodes and why.

    ``workflow`` (the Workflow object) adds what the status does not hold: namespace, service
    account, conditions, creation time and arguments. ``now``/``tz`` pin the clock (tests).
    """
    if term.quiet:  # only what the exit code cannot say: which nodes failed, and why
        for node in status.nodes.values():
            if node.phase in (st.FAILED, st.ERROR):
                term.result(Text(literal(f"{node.name}: {node.phase}: {node.message}")))
        return
    for line in header_lines(status, workflow, now=now, tz=tz):
        term.result(line)
    for image, stand_in in sorted((substitutions or {}).items()):
        term.print(Text(literal(f"{'Image substituted:':{LABEL_WIDTH}} {image} -> {stand_in}"), style="dim"))
    for note in status.notes:  # stand-ins that ran images, what was not checked locally
        term.print(Text(literal(f"{'Note:':{LABEL_WIDTH}} {note}"), style="dim"))
    lines = table(status, now=now)
    if lines:  # one renderable: printing thousands of lines one by one costs rich ~0.5 ms each
        term.result("")
        term.result(Text("\n").join(lines))


# --- while it runs ---------------------------------------------------------------------------------


class LiveTree:
    """The tree redrawn in place while the workflow runs (a terminal only), as ``argo get --watch``."""

    _workflow: Mapping[str, object] | None = None
    _tz: dt.tzinfo | None = None

    def __init__(
        self, term: Terminal, max_fps: float = 10.0, *, workflow: Mapping[str, object] | None = None
    ) -> None:
        from rich.live import Live

        self._live: Live = Live(console=term.out, transient=True, auto_refresh=False)
        self._live.start()
        self._next = 0.0
        self._interval = 1.0 / max_fps
        self._workflow = workflow
        self.frames = 0
        """Redraws so far (what the frame-rate bound is measured on)."""

    def update(self, status: st.WorkflowStatus) -> None:
        """Redraw, at most ``max_fps`` times a second (callers call this after every change).

        A redraw costs time linear in the nodes on the caller's thread, so the pause after one
        is also at least ten times what it took: a tree of thousands of nodes redraws less
        often instead of taking over the run.
        """
        now = time.monotonic()
        if now < self._next:
            return
        clock = time.time()
        try:
            lines = header_lines(status, self._workflow, now=clock, tz=self._tz)
            rows = table(status, now=clock)
        except RuntimeError:  # nodes added by another thread while read: the next change redraws
            return
        if rows:
            lines += [Text(""), *rows]
        self._live.update(Text("\n").join(lines), refresh=True)
        self.frames += 1
        done = time.monotonic()
        self._next = done + max(self._interval, 10 * (done - now))

    def stop(self) -> None:
        """Clear the live view; the final tree is printed after it."""
        self._live.stop()


_LINE_TYPES = frozenset(
    {
        NodeType.POD,
        NodeType.SUSPEND,
        NodeType.HTTP,
        NodeType.PLUGIN,
        NodeType.SKIPPED,
        NodeType.STEPS,
        NodeType.DAG,
    }
)
"""Nodes that get a line when they finish: what runs, and each template of steps or tasks."""


class NodeLines:
    """A line per node as it finishes, for logs (not a terminal): ``node NAME Succeeded (3s)``.

    Nothing is written for the first :data:`~wfsync.cli.terminal.PROGRESS_DELAY` seconds; a run
    that ends sooner prints no line at all (its final table says everything), a longer one
    prints what finished so far, then each node as it finishes. Lines go to stderr, the final
    table to stdout. Each update looks only at the nodes added since the last one and at those
    still running, so a run of thousands of nodes pays for its running nodes, not its size.
    """

    def __init__(
        self,
        term: Terminal,
        *,
        delay: float = PROGRESS_DELAY,
        clock: Callable[[], float] = time.monotonic,
        write: Callable[[Text], None] | None = None,
    ) -> None:
        self._write = write or (lambda line: term.err.print(line))
        self._clock = clock
        self._due = clock() + delay
        self._seen = 0
        self._last: st.WorkflowStatus | None = None
        self._open: list[st.Node] = []
        self._held: list[Text] = []
        self._lock = threading.Lock()
        self._streaming = False
        self._timer = threading.Timer(delay, self._release)
        self._timer.daemon = True
        self._timer.start()
        self.frames = 0
        """Lines written so far."""

    def update(self, status: st.WorkflowStatus) -> None:
        """Note the nodes that finished since the last call; write them once past the delay."""
        self._last = status
        nodes = status.nodes
        if self._seen < len(nodes):
            self._open.extend(n for n in islice(nodes.values(), self._seen, None) if n.type in _LINE_TYPES)
            self._seen = len(nodes)
        done: list[st.Node] = []
        still: list[st.Node] = []
        for node in self._open:
            (done if _finished(node) else still).append(node)
        if done:
            self._open = still
            done.sort(key=lambda n: n.finished)
            self._emit(_line(n) for n in done)
        if not self._streaming and self._clock() >= self._due:
            self._release()

    def stop(self) -> None:
        """Write what finished since the last update; a run shorter than the delay writes nothing."""
        self._timer.cancel()
        if self._clock() >= self._due:
            if self._last is not None:
                self.update(self._last)
            self._release()

    def _emit(self, lines: Iterable[Text]) -> None:
        with self._lock:
            if self._streaming:
                for line in lines:
                    self._write(line)
                    self.frames += 1
            else:
                self._held.extend(lines)

    def _release(self) -> None:
        with self._lock:
            self._streaming = True
            for line in self._held:
                self._write(line)
                self.frames += 1
            self._held.clear()


def _finished(node: st.Node) -> bool:
    return node.phase in st.FULFILLED and not (node.type == NodeType.SKIPPED and node.phase == st.OMITTED)


def _line(node: st.Node) -> Text:
    seconds = max(0.0, node.finished - node.started) if node.started and node.finished else 0.0
    line = Text(literal(f"node {node.name} {node.phase} ({report.short_duration(seconds)})"))
    if node.message:
        line.append(literal(f": {node.message}"))
    return line


def live_view(
    term: Terminal, max_fps: float = 10.0, *, workflow: Mapping[str, object] | None = None
) -> LiveTree | NodeLines | None:
    """How a run shows progress: a live tree on a colour terminal, node lines elsewhere, ``None`` when quiet.

    ``workflow`` (the Workflow object, when the caller has it) adds its namespace and arguments
    to the live tree's header.
    """
    if term.quiet or term.wants_json:
        return None
    if term.out.is_terminal and term.color:
        return LiveTree(term, max_fps, workflow=workflow)
    return NodeLines(term)

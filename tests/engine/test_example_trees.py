"""Equivalence guard for the engine's controller logic: the node trees of Argo's examples.

Every example the conformance test runs (``test_conformance_examples``) is run through the
local engine and reduced to what an Argo user compares: each node's name, display name, type,
phase, message, template name, boundary, children, inputs and outputs, and the workflow's phase,
message and outputs. What changes run to run is removed: timestamps, durations, node IDs and pod
names (children and boundaries are named by node name), the random workflow-name suffix.

The trees live in ``golden/example_trees.json``; ``WFSYNC_REGENERATE=1`` records them from the
current code (never in CI). Examples whose pods draw random numbers (coin flips, random exit
codes: 15 of 110) are recorded only by what chance cannot change, their root node; the other 95
are compared whole.

Pods run as host processes (the default runtime), so the trees also hold what the host's
stand-ins print: a change to the pod runtimes (not the controller) is re-recorded, in a commit
of its own, from the committed code.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
from pathlib import Path

import pytest

from tests.conftest import corpus_path
from tests.engine.test_conformance_examples import _examples
from wfsync.engine.executor import Unsupported
from wfsync.engine.run import RunRequest, run
from wfsync.engine.status import fnv1a32
from wfsync.errors import WfsyncError

GOLDEN = Path(__file__).parent / "golden" / "example_trees.json"

Tree = dict[str, object]
"""One example reduced: its phase, message, outputs and nodes by name (or why it was refused)."""


_VOLATILE = (
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"), "<time>"),
    (re.compile(r"\b[A-Z][a-z]{2} [A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d [A-Z]{3,4} \d{4}\b"), "<date>"),
    (re.compile(r"\b\d+\.\d{5,}\b"), "<seconds>"),
    (re.compile(r"wfsync-run-[a-z0-9_]+"), "<run>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uid>"),
    (re.compile(r"\b1[7-9]\d{8}\b"), "<epoch>"),
)
"""What differs between two runs of the same code: clocks, durations, run folders."""


def _scrub_text(text: str, words: dict[str, str], hashes: dict[str, str]) -> str:
    text = re.sub(r"\d{5,10}", lambda m: hashes.get(m.group(0), m.group(0)), text)
    for raw, stable in words.items():
        text = text.replace(raw, stable)
    for pattern, stable in _VOLATILE:
        text = pattern.sub(stable, text)
    return text


def _scrub(value: object, words: dict[str, str], hashes: dict[str, str]) -> object:
    """``value`` with pod names, node-name hashes and the workflow name replaced by stable words."""
    if isinstance(value, str):
        return _scrub_text(value, words, hashes)
    if isinstance(value, list):
        return [_scrub(v, words, hashes) for v in value]
    if isinstance(value, dict):
        return {_scrub_text(str(k), words, hashes): _scrub(v, words, hashes) for k, v in value.items()}
    return value


def fingerprint(root: Path, state: Path, path: Path) -> Tree:
    """The run of one example reduced to what stays the same between runs of the same code."""
    with_paths = [root / "configmaps", root / "workflow-template", root / "cluster-workflow-template"]
    try:
        result = run(RunRequest(path=path, with_paths=with_paths, state_dir=state))
    except Unsupported as exc:
        return {"refused": "unsupported", "message": str(exc)}
    except WfsyncError as exc:
        return {"refused": type(exc).__name__, "message": str(exc)}
    status = result.status
    # node IDs and pod names end in the hash of the node name, which holds the random name
    hashes = {str(fnv1a32(node.name)): f"#{{{node.name}}}" for node in status.nodes.values()}
    words = {str(state): "<state>", status.name: "WF"}
    by_id = {node.id: node.name for node in status.nodes.values()}
    nodes: dict[str, object] = {}
    for node in status.nodes.values():
        entry: dict[str, object] = {
            "displayName": node.display_name,
            "type": node.type,
            "phase": node.phase,
            "message": node.message,
            "templateName": node.template_name,
            "templateRef": node.template_ref,
            "templateScope": node.template_scope,
            "boundary": by_id.get(node.boundary_id, node.boundary_id),
            "children": [by_id.get(c, c) for c in node.children],
            "outbound": sorted(by_id.get(c, c) for c in node.outbound_nodes),
            "inputs": node.inputs,
            "outputs": node.outputs,
            "hooked": node.hooked,
            "retried": node.retried,
            "daemoned": node.daemoned,
        }
        nodes[node.name] = {k: v for k, v in entry.items() if v not in (None, "", [], False)}
    tree: Tree = {
        "phase": status.phase,
        "message": status.message,
        "outputs": status.outputs,
        "nodes": dict(sorted(nodes.items())),
    }
    scrubbed = _scrub(tree, words, hashes)
    assert isinstance(scrubbed, dict)
    return scrubbed


def by_chance(path: Path) -> bool:
    """Whether the example's pods draw random numbers (coin flips, random exit codes)."""
    text = path.read_text(encoding="utf-8")
    return any(word in text for word in ("random", "RANDOM"))


def _chance_free(tree: Tree) -> Tree:
    """What a chance-driven example keeps run to run: refused or not, and its root node."""
    if "refused" in tree:
        return tree
    nodes = tree["nodes"]
    assert isinstance(nodes, dict)
    root = nodes.get("WF", {})
    assert isinstance(root, dict)
    return {"root": {k: root.get(k) for k in ("displayName", "type", "templateName")}}


def record(root: Path, state: Path) -> dict[str, Tree]:
    """Every example's tree by its path under ``root`` (only the chance-free part for chance ones)."""
    examples = [path for path, _ in _examples(root)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        trees = list(pool.map(lambda p: fingerprint(root, state, p), examples))
    return {
        str(p.relative_to(root)): {"chance": _chance_free(t)} if by_chance(p) else t
        for p, t in zip(examples, trees, strict=True)
    }


@pytest.mark.slow
@pytest.mark.corpus
def test_example_node_trees_are_unchanged(tmp_path: Path) -> None:
    """The engine's node trees over Argo's examples equal the recorded ones, example by example."""
    root = corpus_path("argo", "examples")
    trees = record(root, tmp_path / "state")
    if os.environ.get("WFSYNC_REGENERATE") == "1" and os.environ.get("CI") != "true":
        GOLDEN.write_text(json.dumps(trees, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(trees) == sorted(expected), "the set of examples changed"
    changed = [name for name in sorted(trees) if trees[name] != expected[name]]
    detail = {name: trees[name] for name in changed[:3]}
    assert not changed, (
        f"node trees differ for {changed}; first ones now: {json.dumps(detail, indent=1)[:4000]}"
    )

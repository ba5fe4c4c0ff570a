"""``wfsync convert github-actions`` over GitHub's 175 starter workflows: speed and readability.

Usage: python bench/convert.py [CORPUS_DIR]   (default ../shared/corpus/gha/starter-workflows)
Converts, formats and writes every workflow into a temporary folder, three times, and prints the
best time (target: under 5 s) and the verdict totals. Then, on the written files: base64 values
(target: 0), and the median number of YAML lines a converted ``run:`` step takes, not counting
the lines of its script (target: at most 12).
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from wfsync.commands.convert import run_convert_github_actions

ROOT = Path(__file__).resolve().parent.parent
BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4}){10,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
"""A base64 blob (40 characters or more of the alphabet only; plain words and names are shorter)."""


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _run_steps(text: str) -> Iterator[tuple[int, int]]:
    """(lines of YAML, lines of script) of each ``shell/step`` call made from a ``run:`` step.

    The lines are counted in the written file: from the step's ``- name:`` to the line before
    the next step or key at its indentation or less.
    """
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"^\s*- - name: (.+)$", line)  # a step (each group holds one)
        if not match or match.group(1) in ("setup", "wfsync-outputs"):
            continue
        indent = len(line) - len(line.lstrip(" -"))
        end = number + 1
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip(" ")) >= indent
        ):
            end += 1
        block = lines[number:end]
        if not any(re.search(r"\btemplate: step\b", b) for b in block):
            continue
        script = 0
        for i, row in enumerate(block):
            if row.strip() == "- name: script":
                value = block[i + 1]
                if value.rstrip().endswith("|") or value.rstrip().endswith("|-"):
                    deeper = len(value) - len(value.lstrip())
                    j = i + 2
                    while j < len(block) and (
                        not block[j].strip() or len(block[j]) - len(block[j].lstrip()) > deeper
                    ):
                        j += 1
                    script = j - (i + 2)
                else:
                    script = 0  # a one-line script is on the value line, which counts as YAML
        yield len(block), script


def readability(folder: Path) -> tuple[int, list[int]]:
    """Base64 values in the outputs, and YAML lines per ``run:`` step without its script."""
    blobs = 0
    sizes: list[int] = []
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text()
        for document in yaml.safe_load_all(text):
            blobs += sum(1 for s in _strings(document) if BASE64.match(s.strip()) or s == "base64")
        sizes.extend(total - script for total, script in _run_steps(text))
    return blobs, sizes


def main() -> int:
    source = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else ROOT.parent / "shared" / "corpus" / "gha" / "starter-workflows"
    )
    if not source.is_dir():
        print(f"no corpus at {source}", file=sys.stderr)
        return 2
    best = float("inf")
    result = None
    blobs, sizes = 0, list[int]()
    for _ in range(3):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            result = run_convert_github_actions([source], out_dir=Path(out), starter=True)
            best = min(best, time.perf_counter() - started)
            blobs, sizes = readability(Path(out))
    assert result is not None
    verdicts = dict(result.audit.verdicts())
    print(f"{len(result.files)} workflows converted in {best:.2f} s (best of 3): {verdicts}")
    median = statistics.median(sizes) if sizes else 0
    print(f"base64 values in the outputs: {blobs}")
    print(
        f"run: steps: {len(sizes)}; YAML lines per step without its script: median {median:g}, "
        f"max {max(sizes, default=0)}"
    )
    return 0 if best < 5.0 and blobs == 0 and median <= 12 else 1


if __name__ == "__main__":
    raise SystemExit(main())

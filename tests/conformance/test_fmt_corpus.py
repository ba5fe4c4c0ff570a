"""``wfsync fmt`` over all of Argo's examples: data unchanged, comments kept, idempotent."""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest
import yaml

from tests.conftest import corpus_path
from wfsync.errors import InputError
from wfsync.fmt.formatter import format_text

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

NOT_YAML = {
    # Two `annotations:` keys in metadata: YAML forbids duplicate keys (PyYAML keeps the last one
    # silently, ruamel.yaml refuses); formatting could only keep both by changing the data.
    "k8s-patch-json-workflow.yaml": 13,
}

_COMMENT = re.compile(r"^\s*(?:-\s+)*(#.*?)\s*$")


def full_line_comments(text: str) -> Counter[str]:
    """Full-line comments (also after a bare ``- ``), the part fmt must carry over unchanged."""
    found = (_COMMENT.match(line) for line in text.splitlines())
    return Counter(match.group(1) for match in found if match and match.group(1) != "#")


def test_all_argo_examples_format_idempotently_without_changing_data() -> None:
    examples = corpus_path("argo", "examples")
    files = sorted(p for p in examples.rglob("*") if p.suffix in {".yaml", ".yml"})
    assert len(files) > 200
    problems: list[str] = []
    checked = 0
    started = time.perf_counter()
    for path in files:
        source = path.read_text(encoding="utf-8")
        name = str(path.relative_to(examples))
        if name in NOT_YAML:
            with pytest.raises(InputError) as info:
                format_text(source, path=path)
            assert info.value.line == NOT_YAML[name]
            continue
        out = format_text(source, path=path)
        checked += 1
        if list(yaml.safe_load_all(out)) != list(yaml.safe_load_all(source)):
            problems.append(f"{name}: data changed")
        if format_text(out, path=path) != out:
            problems.append(f"{name}: not idempotent")
        if full_line_comments(out) != full_line_comments(source):
            problems.append(f"{name}: comments differ")
    elapsed = time.perf_counter() - started
    print(f"fmt corpus: {checked} files checked, {len(NOT_YAML)} refused as invalid YAML, {elapsed:.2f}s")
    assert not problems, "\n".join(problems)

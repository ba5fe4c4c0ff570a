"""lint pauses the cyclic garbage collector (library.bulk.gc_paused): it must leave no cycles.

Whatever it leaves in cycles outlives the lint in the oldest generation, and a long process (a
review, the bench, an editor integration) slows down under it. A bound method kept on the
object that owns it was such a cycle, one per document.
"""

from __future__ import annotations

import gc
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from wfsync.lint.linter import LintOptions, lint_paths

_LIBRARY = {
    "say.yaml": """
        apiVersion: argoproj.io/v1alpha1
        kind: WorkflowTemplate
        metadata: {name: say}
        spec:
          templates:
          - name: say
            inputs: {parameters: [{name: message}]}
            container:
              image: busybox
              command: [echo, "{{inputs.parameters.message}}"]
              volumeMounts: [{name: workspace, mountPath: /work}]
        """,
    "hello.yaml": """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: hello-}
        spec:
          entrypoint: main
          volumeClaimTemplates: [{metadata: {name: workspace}, spec: {accessModes: [ReadWriteOnce]}}]
          templates:
          - name: main
            steps:
            - - name: greet
                templateRef: {name: say, template: say}
                arguments: {parameters: [{name: message, value: hi}]}
            - - name: bad
                templateRef: {name: say, template: sya}
                arguments: {parameters: [{name: mesage, value: hi}]}
        """,
}


@pytest.fixture
def saved_garbage() -> Iterator[list[object]]:
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_lint_leaves_no_cycles_of_its_own(tmp_path: Path, saved_garbage: list[object]) -> None:
    for name, text in _LIBRARY.items():
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    for options in (LintOptions(jobs=1), LintOptions(jobs=1, cache_dir=tmp_path / "cache")):
        report = lint_paths([tmp_path], options)
        assert report.findings, "the library has findings, so their paths are exercised too"
    gc.collect()
    ours = sorted({type(o).__qualname__ for o in saved_garbage if type(o).__module__.startswith("wfsync")})
    assert ours == []

"""lint's callers come from the model's walker: the same places as lint's old walk, plus inline templates."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT, corpus_path
from wfsync.lint.index import _callers
from wfsync.model.findings import JsonPath
from wfsync.model.walk import workflow_spec


def _old_callers(spec: Mapping[str, Any], spec_path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    """The walk lint/index.py had before the model (the oracle)."""

    def item_hooks(item: Mapping[str, Any], path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
        hooks = item.get("hooks")
        if isinstance(hooks, dict):
            for name, hook in hooks.items():
                if isinstance(hook, dict):
                    yield (*path, "hooks", name), f"hook {name!r}"

    yield from item_hooks(spec, spec_path)
    templates = spec.get("templates")
    for t_index, template in enumerate(templates if isinstance(templates, list) else []):
        if not isinstance(template, dict):
            continue
        tpath = (*spec_path, "templates", t_index)
        groups = template.get("steps")
        for g, group in enumerate(groups if isinstance(groups, list) else []):
            for s, step in enumerate(group if isinstance(group, list) else []):
                if isinstance(step, dict):
                    yield (*tpath, "steps", g, s), f"step {step.get('name')!r}"
                    yield from item_hooks(step, (*tpath, "steps", g, s))
        dag = template.get("dag")
        tasks = dag.get("tasks") if isinstance(dag, dict) else None
        for t, task in enumerate(tasks if isinstance(tasks, list) else []):
            if isinstance(task, dict):
                yield (*tpath, "dag", "tasks", t), f"task {task.get('name')!r}"
                yield from item_hooks(task, (*tpath, "dag", "tasks", t))


@pytest.mark.corpus
def test_callers_equal_the_old_walk_over_argo_examples_and_the_library() -> None:
    roots = [corpus_path("argo", "examples"), REPO_ROOT / "library"]
    compared = 0
    for path in sorted(p for root in roots for p in root.rglob("*.y*ml")):
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError:
            continue
        for body in docs:
            if not isinstance(body, dict):
                continue
            spec, spec_path = workflow_spec(body)
            if spec is None:
                continue
            new = [(p, what) for p, _, what in _callers(spec, spec_path) if "inline" not in p]
            assert new == list(_old_callers(spec, spec_path)), path
            compared += len(new)
    assert compared > 300


def test_inline_templates_are_walked_now() -> None:
    spec = {"templates": [{"name": "m", "steps": [[{"name": "s", "inline": {"steps": [[{"name": "in"}]]}}]]}]}
    assert [what for _, _, what in _callers(spec, ("spec",))] == ["step 's'", "step 'in'"]

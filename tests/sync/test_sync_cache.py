"""The sync cache (``.wfsync/cache/sync-v1.json``): faster ``diff``/``push``, never a different answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.sync.test_sync_cli import WT, Live, live, repo, wfsync  # noqa: F401 - fixtures
from wfsync.commands import syncstate
from wfsync.commands.diff import run_diff
from wfsync.sync.cache import FILE_NAME, SyncCache

CACHE = Path(".wfsync") / "cache" / FILE_NAME


def diff_json(root: Path, *, use_cache: bool) -> list[dict[str, Any]]:
    result = run_diff(root, target=None, ref=None, use_cache=use_cache)
    return [o.to_json() for o in result.objects]


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The library files diff parses (shown paths), run by run."""
    seen: list[str] = []
    original = syncstate._read_one

    def counting(item: Any) -> Any:
        seen.append(item[1])
        return original(item)

    monkeypatch.setattr(syncstate, "_read_one", counting)
    return seen


def test_unchanged_files_are_not_parsed_again_and_the_diff_is_the_same(
    live: Live,  # noqa: F811
    parsed: list[str],
) -> None:
    assert wfsync("push", "--yes")[0] == 0
    parsed.clear()
    assert diff_json(live.repo, use_cache=True) == diff_json(live.repo, use_cache=False)
    (live.repo / "library" / "ci.yaml").write_text(WT.replace("value: hello", "value: changed"))
    parsed.clear()
    warm = diff_json(live.repo, use_cache=True)
    assert parsed == ["library/ci.yaml"]  # build.yaml came from the cache
    parsed.clear()
    assert diff_json(live.repo, use_cache=True) == warm and parsed == []
    assert warm == diff_json(live.repo, use_cache=False)
    update = next(o for o in warm if o["action"] == "update")
    assert update["name"] == "ci" and update["source"] == "library/ci.yaml:1"
    code, out, _ = wfsync("push", "--yes")
    assert code == 0 and "updated" in out
    assert wfsync("diff")[0] == 0


def test_drift_is_found_though_the_live_hashes_are_cached(live: Live) -> None:  # noqa: F811
    assert wfsync("push", "--yes")[0] == 0
    assert wfsync("diff")[0] == 0  # the live objects' hashes are now cached
    cached = json.loads((live.repo / CACHE).read_text())["live"][live.target]
    assert len(cached) == 2
    live.edit("WorkflowTemplate", "ci", lambda o: o["spec"].update(entrypoint="hand-edited"))
    code, out, _ = wfsync("diff")
    assert code == 1 and "! drift     WorkflowTemplate/ci/ci" in out


def test_a_corrupt_or_foreign_cache_is_ignored_and_replaced(
    live: Live,  # noqa: F811
    parsed: list[str],
) -> None:
    assert wfsync("push", "--yes")[0] == 0
    for garbage in ("{not json", json.dumps({"key": "other", "files": {"library/ci.yaml": "x"}}), "[]"):
        (live.repo / CACHE).write_text(garbage)
        parsed.clear()
        assert wfsync("diff")[0] == 0
        assert sorted(parsed) == ["library/build.yaml", "library/ci.yaml"]
        assert set(json.loads((live.repo / CACHE).read_text())["files"]) == {
            "library/build.yaml",
            "library/ci.yaml",
        }


def test_a_body_json_would_change_is_not_cached(repo: Path, parsed: list[str]) -> None:  # noqa: F811
    (repo / "library" / "odd.yaml").write_text(
        WT.replace("name: ci\n", "name: odd\n").replace(
            "entrypoint: run", "entrypoint: run\n  nodeSelector: {1: a}"
        )
    )
    first = diff_json(repo, use_cache=True)
    files = json.loads((repo / CACHE).read_text())["files"]
    assert "library/odd.yaml" not in files and "library/ci.yaml" in files
    parsed.clear()
    assert diff_json(repo, use_cache=True) == first and parsed == ["library/odd.yaml"]


def test_another_default_namespace_is_another_cache_entry(repo: Path, parsed: list[str]) -> None:  # noqa: F811
    run_diff(repo, target=None, ref=None)
    config = (repo / "wfsync.yaml").read_text()
    (repo / "wfsync.yaml").write_text(config.replace("namespace: ci", "namespace: other", 1))
    parsed.clear()
    result = run_diff(repo, target=None, ref=None)
    assert sorted(parsed) == ["library/build.yaml", "library/ci.yaml"]
    assert {c.identity.namespace for c in result.state.plan.changes} == {"", "other"}


def test_live_hashes_are_keyed_by_uid_and_resource_version(tmp_path: Path) -> None:
    obj = {"metadata": {"uid": "u1", "resourceVersion": "7"}}
    cache = SyncCache.open(tmp_path)
    assert cache.live_hash("t", obj) is None
    cache.put_live_hash("t", obj, "sha256:a")
    cache.save()
    again = SyncCache.open(tmp_path)
    assert again.live_hash("t", obj) == "sha256:a"
    assert again.live_hash("t", {"metadata": {"uid": "u1", "resourceVersion": "8"}}) is None
    assert again.live_hash("other", obj) is None
    assert again.live_hash("t", {"metadata": {"resourceVersion": "7"}}) is None  # no uid: never cached

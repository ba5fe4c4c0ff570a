"""The sync cache (``.wfsync/cache/sync-v1.json``): faster ``diff``/``push``, never a different answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.sync.test_sync_cli import WT, Live, live, repo, wfsync  # noqa: F401 - fixtures
from wfsync.commands.diff import run_diff
from wfsync.sync import reading
from wfsync.sync.cache import FILE_NAME, SyncCache

CACHE = Path(".wfsync") / "cache" / FILE_NAME


def diff_json(root: Path, *, use_cache: bool) -> list[dict[str, Any]]:
    result = run_diff(root, target=None, ref=None, use_cache=use_cache)
    return [o.to_json() for o in result.objects]


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The library files diff parses (shown paths), run by run."""
    seen: list[str] = []
    original = reading._read_one

    def counting(item: Any) -> Any:
        seen.append(item[1])
        return original(item)

    monkeypatch.setattr(reading, "_read_one", counting)
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


def _poison(root: Path, target: str) -> str:
    """Make the cache lie (keeping its key): a wrong desired hash for ci.yaml, wrong live hashes.

    A run that reads it shows differences and drift that are not there; one that does not read it
    cannot tell. Returns the poisoned text, to check that nothing rewrote it.
    """
    data = json.loads((root / CACHE).read_text())
    entry = data["files"]["library/ci.yaml"]
    docs = json.loads(entry["d"])  # a file's documents are kept as JSON text
    for doc in docs:
        doc[4] = "sha256:" + "0" * 64
    entry["d"] = json.dumps(docs)
    for pair in data["live"][target].values():
        pair[1] = "sha256:" + "1" * 64
    text = json.dumps(data)
    (root / CACHE).write_text(text)
    return text


def test_no_cache_neither_reads_nor_writes_the_cache(live: Live) -> None:  # noqa: F811
    assert wfsync("push", "--yes", "--no-cache")[0] == 0
    assert not (live.repo / CACHE).exists()
    assert wfsync("diff", "--no-cache")[0] == 0 and wfsync("status", "--no-cache")[0] == 0
    assert not (live.repo / CACHE).exists()
    assert wfsync("diff")[0] == 0 and (live.repo / CACHE).exists()
    poisoned = _poison(live.repo, live.target)
    # the poisoned cache is read without --no-cache (so the checks below prove something) ...
    code, out, _ = wfsync("diff")
    assert code == 1 and "2 drift" in out
    (live.repo / CACHE).write_text(poisoned)
    code, out, _ = wfsync("status", "-o", "json")
    assert code == 1 and all(o["drift"] for o in json.loads(out)["objects"])
    # ... and not with it, nor rewritten
    (live.repo / CACHE).write_text(poisoned)
    for command in (["diff"], ["status"], ["push", "--yes"]):
        code, out, err = wfsync(*command, "--no-cache")
        assert code == 0, (command, out, err)
        assert (live.repo / CACHE).read_text() == poisoned
    assert "nothing to do" in out


def test_status_uses_the_cache(live: Live, parsed: list[str]) -> None:  # noqa: F811
    assert wfsync("push", "--yes")[0] == 0
    code, out, _ = wfsync("status", "-o", "json")
    assert code == 0 and [o["upToDate"] for o in json.loads(out)["objects"]] == [True, True]
    parsed.clear()
    code, again, _ = wfsync("status", "-o", "json")
    assert code == 0 and again == out and parsed == []  # no file parsed again
    cached = json.loads((live.repo / CACHE).read_text())["live"][live.target]
    assert len(cached) == 2
    live.edit("WorkflowTemplate", "ci", lambda o: o["spec"].update(entrypoint="hand-edited"))
    code, out, _ = wfsync("status", "-o", "json")  # a new resourceVersion: hashed afresh
    assert code == 1 and [o["drift"] for o in json.loads(out)["objects"]] == [False, True]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(
            lambda key: json.dumps({"key": key.replace("|", "-old|", 1), "files": {}}), id="other-version"
        ),
        pytest.param(lambda key: json.dumps({"key": key, "files": [], "live": []}), id="lists"),
        pytest.param(
            lambda key: json.dumps(
                {"key": key, "files": {"library/ci.yaml": 3}, "live": {"local": 1, "kube": [1]}}
            ),
            id="scalars",
        ),
        pytest.param(
            lambda key: json.dumps({"key": key, "files": {"library/ci.yaml": {"h": 1, "d": 2}}}), id="entry"
        ),
        pytest.param(lambda key: json.dumps({"key": key})[:-5], id="truncated"),
        pytest.param(lambda key: "\x00\xff", id="binary"),
    ],
)
def test_a_mismatched_or_misshapen_cache_is_ignored_not_a_crash(
    live: Live,  # noqa: F811
    content: Any,
) -> None:
    from wfsync.sync.cache import code_key

    assert wfsync("push", "--yes")[0] == 0
    for command in (["diff"], ["status"], ["push", "--yes"]):
        (live.repo / CACHE).write_text(content(code_key()))
        code, out, err = wfsync(*command)
        assert code == 0, (command, out, err)
        assert json.loads((live.repo / CACHE).read_text())["key"] == code_key()


def test_misshapen_entries_with_our_key_are_ignored(repo: Path) -> None:  # noqa: F811
    run_diff(repo, target=None, ref=None)
    data = json.loads((repo / CACHE).read_text())
    digest = data["files"]["library/ci.yaml"]["h"]
    for docs in (
        json.dumps([["x"]]),
        json.dumps([[1, 2, 3, 4, 5, [["a", 1]], []]]),
        json.dumps([["WorkflowTemplate", "ci", "ci", "one", "h", {}, []]]),
        json.dumps(7),
        "[[not json",
        [["WorkflowTemplate", "ci", "ci", 1, "h", {}, []]],  # format 1's documents, not text
    ):
        data["files"]["library/ci.yaml"] = {"h": digest, "d": docs}
        (repo / CACHE).write_text(json.dumps(data))
        assert SyncCache.open(repo / CACHE.parent).documents("library/ci.yaml", digest) is None
        assert diff_json(repo, use_cache=True) == diff_json(repo, use_cache=False)


def test_a_push_with_prunes_hashes_each_live_object_once_even_without_the_cache(
    live: Live,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A plan with prunes is built twice (again with what refers to the pruned): not its hashes."""
    from wfsync.sync import pipeline

    assert wfsync("push", "--yes")[0] == 0
    (live.repo / "library" / "ci.yaml").unlink()
    hashed: list[str] = []
    original = pipeline.content_hash

    def counting(obj: Any) -> str:
        hashed.append(str(obj["metadata"]["name"]))
        return original(obj)

    monkeypatch.setattr(pipeline, "content_hash", counting)
    code, out, err = wfsync("push", "--yes", "--prune", "--no-cache")
    assert code == 0, err
    assert "pruned" in out or "deleted" in out, out
    assert hashed == ["build"]  # once, though planned twice (ci, pruned, has no content to compare)

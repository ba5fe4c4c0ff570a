"""Input artifacts from http (a real loopback server) and git (a real repository in tmp_path)."""

from __future__ import annotations

import functools
import http.server
import io
import subprocess
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wfsync.engine import status as st
from wfsync.engine.executor import Unsupported
from wfsync.engine.run import RunResult

from .conftest import node_table


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server over a folder; yields its base URL and the folder."""
    root = tmp_path / "served"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def _pod_wf(artifact: str, command: str) -> str:
    return f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: arts}}
spec:
  entrypoint: main
  templates:
  - name: main
    inputs:
      artifacts:
      - {artifact}
    container:
      image: alpine:3.23
      command: [sh, -c]
      args: ['{command}']
"""


def _main(result: RunResult) -> st.Node:
    return result.status.nodes[result.status.name]


def test_http_file_lands_at_its_path_with_its_mode(
    run_yaml: Callable[..., RunResult], files: tuple[str, Path]
) -> None:
    base, root = files
    (root / "tool.sh").write_text("#!/bin/sh\necho tool says hi\n", encoding="utf-8")
    art = f"{{name: tool, path: /tools/tool, mode: 0755, http: {{url: '{base}/tool.sh'}}}}"
    result = run_yaml(_pod_wf(art, "/tools/tool"))
    assert result.status.phase == "Succeeded", node_table(result)
    assert (_main(result).outputs or {})["result"] == "tool says hi"


def test_http_gzipped_tarball_is_unpacked(
    run_yaml: Callable[..., RunResult], files: tuple[str, Path]
) -> None:
    base, root = files
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in (("pkg/a.txt", "alpha"), ("pkg/b.txt", "beta")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (root / "pkg.tgz").write_bytes(buffer.getvalue())
    art = f"{{name: pkg, path: /in/pkg, http: {{url: '{base}/pkg.tgz'}}}}"
    result = run_yaml(_pod_wf(art, "cat /in/pkg/a.txt /in/pkg/b.txt"))
    assert result.status.phase == "Succeeded", node_table(result)
    assert (_main(result).outputs or {})["result"] == "alphabeta"


def test_http_404_is_a_load_error_on_the_node(
    run_yaml: Callable[..., RunResult], files: tuple[str, Path]
) -> None:
    base, _ = files
    art = f"{{name: gone, path: /in/gone, http: {{url: '{base}/gone.txt'}}}}"
    result = run_yaml(_pod_wf(art, "true"))
    node = _main(result)
    assert node.phase == "Error"
    assert node.message == f"failed to load artifact 'gone': GET {base}/gone.txt: 404 File not found"


def test_optional_http_artifact_that_is_not_there_is_skipped(
    run_yaml: Callable[..., RunResult], files: tuple[str, Path]
) -> None:
    base, _ = files
    art = f"{{name: gone, path: /in/gone, optional: true, http: {{url: '{base}/gone.txt'}}}}"
    result = run_yaml(_pod_wf(art, "test -e /in/gone && echo there || echo absent"))
    assert result.status.phase == "Succeeded", node_table(result)
    assert (_main(result).outputs or {})["result"] == "absent"


def test_http_artifact_on_the_internet_is_refused_up_front(run_yaml: Callable[..., RunResult]) -> None:
    art = "{name: k, path: /bin/k, http: {url: 'https://storage.googleapis.com/k'}}"
    with pytest.raises(
        Unsupported, match=r"artifact 'k' \(http\): https://storage.googleapis.com/k is not on"
    ):
        run_yaml(_pod_wf(art, "true"))


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with two commits: tag v1 has VERSION=1, main has VERSION=2."""
    path = tmp_path / "origin"
    path.mkdir()
    _git(path, "init", "--quiet", "--initial-branch=main")
    (path / "VERSION").write_text("1\n", encoding="utf-8")
    _git(path, "add", "VERSION")
    _git(path, "commit", "--quiet", "-m", "one")
    _git(path, "tag", "v1")
    (path / "VERSION").write_text("2\n", encoding="utf-8")
    _git(path, "commit", "--quiet", "-am", "two")
    return path


def test_git_clone_of_a_local_path_at_a_revision(run_yaml: Callable[..., RunResult], repo: Path) -> None:
    art = f"{{name: src, path: /src, git: {{repo: '{repo}', revision: v1}}}}"
    result = run_yaml(_pod_wf(art, "cat /src/VERSION && cd /src && git log --format=%s"))
    assert result.status.phase == "Succeeded", node_table(result)
    assert (_main(result).outputs or {})["result"] == "1\none"


def test_git_clone_of_a_file_url_with_depth(run_yaml: Callable[..., RunResult], repo: Path) -> None:
    art = f"{{name: src, path: /src, git: {{repo: '{repo.as_uri()}', depth: 1}}}}"
    result = run_yaml(_pod_wf(art, "cat /src/VERSION && cd /src && git rev-list --count HEAD"))
    assert result.status.phase == "Succeeded", node_table(result)
    assert (_main(result).outputs or {})["result"] == "2\n1"


def test_git_unknown_revision_is_a_load_error(run_yaml: Callable[..., RunResult], repo: Path) -> None:
    art = f"{{name: src, path: /src, git: {{repo: '{repo}', revision: no-such-rev}}}}"
    result = run_yaml(_pod_wf(art, "true"))
    node = _main(result)
    assert node.phase == "Error"
    assert node.message.startswith("failed to load artifact 'src': git checkout: ")


def test_git_on_the_internet_is_refused_when_the_repo_is_known_at_runtime(
    run_yaml: Callable[..., RunResult],
) -> None:
    text = _pod_wf("{name: src, path: /src, git: {repo: '{{workflow.parameters.repo}}'}}", "true").replace(
        "  entrypoint: main\n",
        "  entrypoint: main\n  arguments: {parameters: [{name: repo, value: 'https://github.com/a/b.git'}]}\n",
    )
    result = run_yaml(text)
    node = _main(result)
    assert node.phase == "Error"
    assert node.message.startswith(
        "unsupported: input artifact 'src' (git): https://github.com/a/b.git is not on this machine"
    )

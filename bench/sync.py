"""Sync throughput: ``diff`` and ``push`` of N templates over 10 namespaces, on both backends.

The target first receives the whole library; then 1% of the templates change in the library,
1% are deleted from the target (missing) and 1% more exist only in the target (extra,
prunable). For the embedded cluster and for the Kubernetes test API server (real HTTP, official
client; the server runs in a process of its own, as a real one does, and counts the requests by
verb) it prints the requests ``diff`` sends, the seconds of ``lint`` and ``diff`` of the same
library and their ratio (the target: diff within 2x lint), and requests, writes and seconds of
``push --prune``.

lint and diff are timed in turn ``--runs`` times in two states, medians shown:

* cold: no ``.wfsync/cache`` (lint without a cache folder, diff with ``use_cache=False``);
* warm: the cache an earlier lint and diff left just before 1% of the files were edited, restored
  before every run (the state a user meets: edit a few templates, then lint or diff).

Usage: ``python bench/sync.py [N] [--runs R]``.
"""

from __future__ import annotations

import argparse
import collections
import gc
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.kube.process import KubeServerProcess  # noqa: E402
from wfsync.cluster.api import Cluster, Obj  # noqa: E402
from wfsync.commands import syncstate  # noqa: E402
from wfsync.commands.diff import run_diff  # noqa: E402
from wfsync.commands.push import execute_push, prepare_push  # noqa: E402
from wfsync.lint.linter import LintOptions, lint_paths  # noqa: E402

NAMESPACES = 10
TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    wfsync.io/version: "1.0.{version}"
spec:
  entrypoint: main
  arguments:
    parameters:
      - name: message
        value: hello
  templates:
    - name: main
      steps:
        - - name: build
            template: run
            arguments:
              parameters:
                - name: cmd
                  value: make build
        - - name: test
            template: run
            arguments:
              parameters:
                - name: cmd
                  value: make test
    - name: run
      inputs:
        parameters:
          - name: cmd
      retryStrategy:
        limit: 2
      container:
        image: golang:1.22
        command: [sh, -c]
        args: ["{{{{inputs.parameters.cmd}}}}"]
        resources:
          requests:
            cpu: 500m
            memory: 256Mi
"""


class Counting:
    """Counts the calls an embedded cluster receives, by Kubernetes verb."""

    def __init__(self, inner: Cluster) -> None:
        self.inner = inner
        self.verbs: collections.Counter[str] = collections.Counter()

    @property
    def description(self) -> str:
        return self.inner.description

    def check_crds(self, kinds: Any) -> None:
        self.verbs["discovery"] += 1
        self.inner.check_crds(kinds)

    def list(
        self, kind: str, namespace: str | None, label_selector: str = "", exclude_namespaces: Any = ()
    ) -> list[Obj]:
        self.verbs["list"] += 1
        return self.inner.list(kind, namespace, label_selector, exclude_namespaces)

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        self.verbs["get"] += 1
        return self.inner.get(kind, namespace, name)

    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        self.verbs["create"] += 1
        return self.inner.create(obj, dry_run=dry_run)

    def update(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        self.verbs["update"] += 1
        return self.inner.update(obj, dry_run=dry_run)

    def delete(
        self, kind: str, namespace: str | None, name: str, resource_version: str, *, dry_run: bool = False
    ) -> None:
        self.verbs["delete"] += 1
        self.inner.delete(kind, namespace, name, resource_version, dry_run=dry_run)


def write_repo(repo: Path, count: int) -> list[Path]:
    (repo / "library").mkdir(parents=True)
    (repo / "wfsync.yaml").write_text(
        "library: library\nlibraryId: bench\ntargets:\n  local:\n    type: embedded\n"
        "  kube:\n    type: kubernetes\n    kubeconfig: kubeconfig\n"
    )
    files = []
    for i in range(count):
        path = repo / "library" / f"t{i:05d}.yaml"
        path.write_text(TEMPLATE.format(name=f"t{i:05d}", namespace=f"ns-{i % NAMESPACES}", version=0))
        files.append(path)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return files


def run(target: str, count: int, runs: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="wfsync-bench-sync-"))
    server: KubeServerProcess | None = None
    counter: dict[str, Counting] = {}
    original = syncstate.open_cluster

    def counting_open(config: Any, tgt: Any) -> Cluster:
        inner = original(config, tgt)
        if tgt.type == "kubernetes":
            return inner
        counter["c"] = Counting(inner)
        return counter["c"]

    syncstate.open_cluster = counting_open  # type: ignore[assignment]
    try:
        repo = work / "repo"
        one = max(1, count // 100)
        files = write_repo(repo, count + one)
        if target == "kube":
            server = KubeServerProcess(repo / "kubeconfig").start()
        with prepare_push(repo, target=target, ref=None, prune=False, force=False, use_cache=False) as seed:
            assert seed.state is not None, "the bench library must lint clean"
            result = execute_push(seed, dry_run=False)
            assert result.failed is None
        # what an earlier lint and diff left in .wfsync/cache (the warm state, before the edits below)
        lint_paths(
            [repo / "library"],
            LintOptions(library=repo / "library", root=repo, cache_dir=repo / ".wfsync" / "cache"),
        )
        run_diff(repo, target=target, ref=None)
        extra, library = files[count:], files[:count]
        for path in extra:  # in the target only: prunable
            path.unlink()
        for path in library[1::100][:one]:  # changed in the library
            path.write_text(path.read_text().replace("golang:1.22", "golang:1.23"))
        for path in library[2::100][:one]:  # missing from the target
            name, ns = path.stem, f"ns-{int(path.stem[1:]) % NAMESPACES}"
            if server is not None:
                server.remove("workflowtemplates", ns, name)
            else:
                from wfsync.cluster.embedded import EmbeddedCluster

                EmbeddedCluster(repo / ".wfsync" / "cluster").delete("WorkflowTemplate", ns, name, "")

        def requests() -> collections.Counter[str]:
            if server is not None:
                return collections.Counter(server.requests())
            verbs = counter["c"].verbs
            counter["c"].verbs = collections.Counter()
            return verbs

        cache = repo / ".wfsync" / "cache"
        snapshot = work / "cache-before-edits"
        shutil.copytree(cache, snapshot)
        timings: dict[str, list[float]] = collections.defaultdict(list)
        diff_verbs: list[collections.Counter[str]] = []
        for _ in range(runs):
            for state in ("cold", "warm"):
                shutil.rmtree(cache, ignore_errors=True)
                if state == "warm":  # as a user meets it: cached before the last edits
                    shutil.copytree(snapshot, cache)
                gc.collect()
                started = time.perf_counter()
                lint_paths(
                    [repo / "library"],
                    LintOptions(
                        library=repo / "library", root=repo, cache_dir=cache if state == "warm" else None
                    ),
                )
                timings[f"lint_{state}"].append(time.perf_counter() - started)
                gc.collect()
                requests()
                started = time.perf_counter()
                diff = run_diff(repo, target=target, ref=None, use_cache=state == "warm")
                timings[f"diff_{state}"].append(time.perf_counter() - started)
                diff_verbs.append(requests())
        assert all(v == diff_verbs[0] for v in diff_verbs), diff_verbs
        shutil.rmtree(cache, ignore_errors=True)
        started = time.perf_counter()
        with prepare_push(
            repo, target=target, ref=None, prune=True, force=False, use_cache=False
        ) as prepared:
            applied = execute_push(prepared, dry_run=False)
        push_s = time.perf_counter() - started
        push_verbs = requests()
        again = run_diff(repo, target=target, ref=None)
        return {
            "plan": diff.state.plan.counts,
            "medians": {k: statistics.median(v) for k, v in timings.items()},
            "diff_requests": dict(diff_verbs[0]),
            "push_s": push_s,
            "push_requests": dict(push_verbs),
            "written": len(applied.applied),
            "clean_after": again.in_sync,
        }
    finally:
        syncstate.open_cluster = original
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", nargs="?", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5, help="timed lint+diff pairs per state (medians shown)")
    args = parser.parse_args()
    print(
        f"library: {args.count} WorkflowTemplates over {NAMESPACES} namespaces; 1% changed, 1% extra, 1% missing"
    )
    print(
        f"lint and diff timed in turn, {args.runs} times each, medians shown. cold: no .wfsync/cache "
        "(lint without cache_dir, diff with use_cache=False); warm: the cache an earlier lint and diff "
        "left before 1% of the files were edited (what a user meets)"
    )
    for target, label in (
        ("local", "embedded"),
        ("kube", "kubernetes (test API server in its own process, real HTTP)"),
    ):
        r = run(target, args.count, args.runs)
        m = r["medians"]
        plan = {k: v for k, v in r["plan"].items() if v}
        print(f"\n[{label}]")
        print(f"  plan:        {plan}")
        print(f"  diff requests: {r['diff_requests']} (every run)")
        for state in ("cold", "warm"):
            ratio = m[f"diff_{state}"] / m[f"lint_{state}"]
            print(
                f"  {state}: lint {m[f'lint_{state}']:.3f} s  diff {m[f'diff_{state}']:.3f} s  "
                f"diff/lint = {ratio:.2f}x (target <= 2x: {'met' if ratio <= 2 else 'NOT met'})"
            )
        print(
            f"  push --prune: {r['push_s']:.3f} s (incl. lint, no cache)  requests {r['push_requests']}  writes {r['written']}"
        )
        print(f"  diff after push clean: {r['clean_after']}")


if __name__ == "__main__":
    main()

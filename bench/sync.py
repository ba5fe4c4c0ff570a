"""Sync throughput: ``diff`` and ``push`` of N templates over 10 namespaces, on both backends.

The target first receives the whole library; then 1% of the templates change in the library,
1% are deleted from the target (missing) and 1% more exist only in the target (extra,
prunable). Prints requests by verb and seconds for ``diff`` and ``push --prune``, for the
embedded cluster and for the Kubernetes test API server (real HTTP, official client), plus lint
of the same library for comparison. Usage: ``python bench/sync.py [N]``.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.kube.server import KubeServer  # noqa: E402
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


def run(target: str, count: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="wfsync-bench-sync-"))
    server = KubeServer().start() if target == "kube" else None
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
        if server is not None:
            server.write_kubeconfig(repo / "kubeconfig")
        with prepare_push(repo, target=target, ref=None, prune=False, force=False, use_cache=False) as seed:
            assert seed.state is not None, "the bench library must lint clean"
            result = execute_push(seed, dry_run=False)
            assert result.failed is None
        extra, library = files[count:], files[:count]
        for path in extra:  # in the target only: prunable
            path.unlink()
        for path in library[1::100][:one]:  # changed in the library
            path.write_text(path.read_text().replace("golang:1.22", "golang:1.23"))
        for path in library[2::100][:one]:  # missing from the target
            name, ns = path.stem, f"ns-{int(path.stem[1:]) % NAMESPACES}"
            if server is not None:
                server.store.remove("workflowtemplates", ns, name)
            else:
                from wfsync.cluster.embedded import EmbeddedCluster

                EmbeddedCluster(repo / ".wfsync" / "cluster").delete("WorkflowTemplate", ns, name, "")

        started = time.perf_counter()
        lint_paths([repo / "library"], LintOptions(library=repo / "library", root=repo))
        lint_s = time.perf_counter() - started

        def requests() -> collections.Counter[str]:
            if server is not None:
                verbs = server.log.by_verb()
                server.log.clear()
                return verbs
            verbs = counter["c"].verbs
            counter["c"].verbs = collections.Counter()
            return verbs

        if server is not None:
            server.log.clear()
        started = time.perf_counter()
        diff = run_diff(repo, target=target, ref=None)
        diff_s = time.perf_counter() - started
        diff_verbs = requests()
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
            "diff_s": diff_s,
            "diff_requests": dict(diff_verbs),
            "push_s": push_s,
            "push_requests": dict(push_verbs),
            "written": len(applied.applied),
            "clean_after": again.in_sync,
            "lint_s": lint_s,
        }
    finally:
        syncstate.open_cluster = original  # type: ignore[assignment]
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", nargs="?", type=int, default=1000)
    args = parser.parse_args()
    print(
        f"library: {args.count} WorkflowTemplates over {NAMESPACES} namespaces; 1% changed, 1% extra, 1% missing"
    )
    for target, label in (("local", "embedded"), ("kube", "kubernetes (test API server, real HTTP)")):
        r = run(target, args.count)
        plan = {k: v for k, v in r["plan"].items() if v}
        print(f"\n[{label}]")
        print(f"  plan:        {plan}")
        print(f"  lint (same library, cold, no cache): {r['lint_s']:.3f} s")
        print(
            f"  diff:        {r['diff_s']:.3f} s = {r['diff_s'] / r['lint_s']:.2f}x lint  requests {r['diff_requests']}"
        )
        print(
            f"  push --prune: {r['push_s']:.3f} s (incl. lint)  requests {r['push_requests']}  writes {r['written']}"
        )
        print(f"  diff after push clean: {r['clean_after']}")


if __name__ == "__main__":
    main()

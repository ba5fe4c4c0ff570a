"""``verify``'s comparison over the shapes of Argo's examples, replayed through the test controller.

A workflow's *shape* is the set of Argo features it uses (template kinds, loops, conditions,
retries, exit handlers, outputs, references...). The examples the local engine Succeeds on are
grouped by shape; for the 40 most common shapes one example is run locally with its status
frames recorded, the frames are replayed on a real Kubernetes test server (Argo's full CRD
schemas applied) by the test controller under the name the server generated, the final
Workflow is read back over HTTP, and :func:`wfsync.harness.compare.compare` must find nothing.
The same workflows are then created through the Kubernetes transport and followed live with
``verify_remote`` (a resourceVersion watch, as ``wfsync verify`` does): no difference either.
Then a node's phase, a node (with its subtree) and an output value are changed in the replayed
final frame, and each change must be reported exactly once.

Print the table: ``python -m pytest -q -s tests/conformance/test_verify_shapes.py``.
"""

from __future__ import annotations

import collections
import concurrent.futures
import copy
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import corpus_path
from tests.kube.controller import Script, TestController, create, fetch
from tests.kube.schema import argo_crds_available, argo_schemas
from tests.kube.server import KubeServer
from wfsync.cluster.kube_workflows import KubernetesWorkflows
from wfsync.cluster.kubernetes import KubernetesCluster
from wfsync.engine.executor import Unsupported
from wfsync.errors import WfsyncError
from wfsync.harness.compare import NODE, Difference, compare
from wfsync.harness.verify import verify_remote
from wfsync.model.walk import callers, dag_tasks, step_groups

Obj = dict[str, Any]
SHAPES = 40
COMPRESS_OVER = 4096
"""Nodes' JSON size (bytes) past which the live pass's controller writes them compressed."""
NO_TEST = "workflows.argoproj.io/no-test"
SCRIPT_LABEL = "wfsync.test/script"
TEMPLATE_KINDS = (
    "container",
    "script",
    "resource",
    "suspend",
    "steps",
    "dag",
    "http",
    "containerSet",
    "data",
    "plugin",
)
TEMPLATE_FEATURES = {
    "retryStrategy": "retryStrategy",
    "daemon": "daemon",
    "sidecars": "sidecars",
    "initContainers": "initContainers",
    "timeout": "timeout",
    "activeDeadlineSeconds": "deadline",
    "memoize": "memoize",
    "synchronization": "synchronization",
    "parallelism": "parallelism",
    "podSpecPatch": "podSpecPatch",
    "volumes": "volumes",
}
CALLER_FEATURES = (
    *("when", "depends", "dependencies", "withItems", "withParam", "withSequence", "templateRef"),
    *("continueOn", "hooks", "onExit", "inline"),
)
SPEC_FEATURES = {
    "onExit": "onExit",
    "hooks": "hooks",
    "parallelism": "parallelism",
    "workflowTemplateRef": "workflowTemplateRef",
    "volumeClaimTemplates": "volumes",
    "volumes": "volumes",
    "activeDeadlineSeconds": "deadline",
    "synchronization": "synchronization",
    "retryStrategy": "retryStrategy",
}


def shape(workflow: Mapping[str, Any]) -> tuple[str, ...]:
    """The sorted names of the Argo features ``workflow`` uses: its canonical signature."""
    spec = workflow.get("spec") or {}
    found: set[str] = {feature for key, feature in SPEC_FEATURES.items() if spec.get(key)}
    args = spec.get("arguments") or {}
    found.update(f"arguments.{k}" for k in ("parameters", "artifacts") if args.get(k))
    for tmpl in _templates(spec):
        found.update(f"kind:{k}" for k in TEMPLATE_KINDS if k in tmpl)
        found.update(feature for key, feature in TEMPLATE_FEATURES.items() if tmpl.get(key))
        for side in ("inputs", "outputs"):
            io = tmpl.get(side) or {}
            found.update(f"{side}.{k}" for k in ("parameters", "artifacts") if io.get(k))
            if side == "outputs" and io.get("result"):
                found.add("outputs.result")
        if (tmpl.get("dag") or {}).get("failFast") is not None:
            found.add("failFast")
    for caller in callers(spec):
        node = caller.node
        found.update(f"{caller.kind.value}.{k}" for k in CALLER_FEATURES if node.get(k))
        if ((node.get("arguments") or {}).get("artifacts")) and caller.kind.value in ("step", "task"):
            found.add(f"{caller.kind.value}.arguments.artifacts")
    if "{{=" in yaml.safe_dump(dict(workflow)):
        found.add("expression")
    return tuple(sorted(found))


def _templates(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The spec's templates and those written inline in steps and tasks, at any depth."""
    todo = [t for t in spec.get("templates") or [] if isinstance(t, Mapping)]
    while todo:
        tmpl = todo.pop()
        yield tmpl
        items = [s for _, group in step_groups(tmpl) for s in group] + dag_tasks(tmpl)
        todo.extend(
            i["inline"] for i in items if isinstance(i, Mapping) and isinstance(i.get("inline"), Mapping)
        )


def _candidates(root: Path) -> list[tuple[Path, Obj]]:
    """Workflows Argo's own e2e tests expect to Succeed (no ``no-test`` label), first one of each file."""
    found = []
    for path in sorted(root.rglob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]
        workflows = [d for d in docs if d.get("kind") == "Workflow"]
        if workflows and NO_TEST not in ((workflows[0].get("metadata") or {}).get("labels") or {}):
            found.append((path, workflows[0]))
    return found


def _record(root: Path, state: Path, path: Path) -> Script | None:
    """The example run locally with its frames recorded; None unless it Succeeded."""
    with_paths = [root / "configmaps", root / "workflow-template", root / "cluster-workflow-template"]
    try:
        script = Script.record(path, state, with_paths=with_paths)
    except (Unsupported, WfsyncError):
        return None
    return script if script.workflow["status"]["phase"] == "Succeeded" else None


def _replay(kube: KubeServer, jobs: list[tuple[str, Obj, Script]]) -> dict[str, Obj]:
    """Create each workflow over HTTP, let the controller play its script, read it back over HTTP."""
    scripts = {key: script for key, _, script in jobs}

    def choose(wf: Obj) -> Script | None:
        return scripts.get(((wf.get("metadata") or {}).get("labels") or {}).get(SCRIPT_LABEL, ""))

    created: dict[str, str] = {}
    with TestController(kube, choose, interval=0.002, poll=0.002) as controller:
        for key, body, _ in jobs:
            meta = body.get("metadata") or {}
            labels = {**(meta.get("labels") or {}), SCRIPT_LABEL: key}
            prefix = str(meta.get("generateName") or f"{meta.get('name', 'wf')}-")
            sent = {**body, "metadata": {"generateName": prefix, "labels": labels}}
            sent.pop("status", None)
            created[key] = create(kube, sent)["metadata"]["name"]
        for name in created.values():
            controller.wait(name, timeout=30)
    return {key: fetch(kube, name) for key, name in created.items()}


def _verify_live(kube: KubeServer, kubeconfig: Path, jobs: list[tuple[str, Obj, Script]]) -> tuple[int, int]:
    """Create each workflow through :class:`KubernetesWorkflows`, follow it live with ``verify_remote``.

    The count of shapes with no difference (every one must have none), and of those whose final
    status came with compressed nodes.
    """
    cluster = KubernetesCluster(kubeconfig=kube.write_kubeconfig(kubeconfig), backoff=0.01, timeout=(5, 10))
    workflows = KubernetesWorkflows(cluster, "default")
    scripts = {f"live-{key}": script for key, _, script in jobs}

    def choose(wf: Obj) -> Script | None:
        return scripts.get(((wf.get("metadata") or {}).get("labels") or {}).get(SCRIPT_LABEL, ""))

    found: dict[str, list[str]] = {}
    compressed: dict[str, bool] = {}
    # nodes past 4 kB go out compressed, as Argo compresses a large status: both forms are followed
    with TestController(kube, choose, interval=0.005, poll=0.002, compress=COMPRESS_OVER):
        for key, body, script in jobs:
            meta = body.get("metadata") or {}
            labels = {**(meta.get("labels") or {}), SCRIPT_LABEL: f"live-{key}"}
            prefix = str(meta.get("generateName") or f"{meta.get('name', 'wf')}-")
            created = workflows.create({**body, "metadata": {"generateName": prefix, "labels": labels}})
            verification = verify_remote(workflows, created, script.workflow)
            assert verification.phase == "Succeeded"
            found[key] = [str(d) for d in verification.differences]
            compressed[key] = "compressedNodes" in verification.remote["status"]
    kube.end_watches()
    assert {k: v for k, v in found.items() if v} == {}
    assert 0 < sum(compressed.values()) < len(jobs)  # both forms were met
    return sum(1 for v in found.values() if not v), sum(compressed.values())


def _rel(script: Script, node: Mapping[str, Any]) -> str:
    return str(node["name"])[len(script.name) :]


def _inject_phase(script: Script) -> tuple[Script, str] | None:
    nodes = list(script.frames[-1]["nodes"].values())
    pods = [n for n in nodes if n.get("type") == "Pod" and n.get("phase") == "Succeeded"]
    if not pods:
        return None
    target = pods[-1]["id"]

    def change(frame: Obj) -> None:
        frame["nodes"][target]["phase"] = "Failed"

    return _variant(script, change), f"node {script.name}{_rel(script, pods[-1])}|phase"


def _inject_missing(script: Script) -> tuple[Script, str] | None:
    nodes = script.frames[-1]["nodes"]
    children = [c for n in nodes.values() for c in n.get("children", []) if c in nodes]
    if not children:  # a lone root (one pod, one resource...): Argo lost the whole tree
        if len(nodes) != 1:
            return None
        children = list(nodes)
    parents: dict[str, set[str]] = collections.defaultdict(set)
    for key, node in nodes.items():
        for child in node.get("children", []):
            parents[child].add(key)
    # a node whose subtree hangs from it alone (no DAG join reached from outside): one missing branch
    for target in children[len(children) // 2 :] + children[: len(children) // 2]:
        gone = _subtree(nodes, target)
        if all(parents[n] <= gone for n in gone - {target}):
            break
    else:
        return None

    def change(frame: Obj) -> None:
        frame["nodes"] = {k: n for k, n in frame["nodes"].items() if k not in gone}
        for node in frame["nodes"].values():
            for field in ("children", "outboundNodes"):
                if field in node:
                    node[field] = [c for c in node[field] if c not in gone]

    return _variant(script, change), f"node {script.name}{_rel(script, nodes[target])}|{NODE}"


def _subtree(nodes: Mapping[str, Any], top: str) -> set[str]:
    gone = {top}
    todo = [top]
    while todo:
        for child in nodes[todo.pop()].get("children", []):
            if child in nodes and child not in gone:
                gone.add(child)
                todo.append(child)
    return gone


def _inject_output(script: Script) -> tuple[Script, str] | None:
    for key, node in script.frames[-1]["nodes"].items():
        params = (node.get("outputs") or {}).get("parameters") or []
        for index, param in enumerate(params):
            if "value" in param:

                def change(frame: Obj, key: str = key, index: int = index) -> None:
                    param = frame["nodes"][key]["outputs"]["parameters"][index]
                    param["value"] = f"{param['value']} (changed)"

                what = f"output parameter {param['name']!r}"
                return _variant(script, change), f"node {script.name}{_rel(script, node)}|{what}"
    for key, node in script.frames[-1]["nodes"].items():
        if (node.get("outputs") or {}).get("result") is not None:

            def change_result(frame: Obj, key: str = key) -> None:
                frame["nodes"][key]["outputs"]["result"] += " (changed)"

            return _variant(script, change_result), f"node {script.name}{_rel(script, node)}|result"
    return None


def _variant(script: Script, change: Callable[[Obj], None]) -> Script:
    frames = copy.deepcopy(script.frames)
    change(frames[-1])
    return Script(script.name, frames, script.logs, script.workflow)


INJECTIONS = {"phase": _inject_phase, "missing-node": _inject_missing, "output-value": _inject_output}


@pytest.mark.slow
@pytest.mark.corpus
def test_verify_finds_no_difference_on_the_common_shapes_and_each_injected_one(tmp_path: Path) -> None:
    root = corpus_path("argo", "examples")
    if not argo_crds_available():
        pytest.skip("Argo's full CRDs are not in ../shared/corpus/argo/crds (the corpus is absent)")
    candidates = _candidates(root)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        scripts = list(pool.map(lambda c: _record(root, tmp_path / "state", c[0]), candidates))
    succeeded = [
        (path, body, s) for (path, body), s in zip(candidates, scripts, strict=True) if s is not None
    ]
    groups: dict[tuple[str, ...], list[tuple[Path, Obj, Script]]] = collections.defaultdict(list)
    for item in succeeded:
        groups[shape(item[1])].append(item)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), str(kv[1][0][0].relative_to(root))))
    chosen = ranked[:SHAPES]
    print(f"\n{len(candidates)} examples, {len(succeeded)} Succeeded locally, {len(groups)} distinct shapes")
    if len(groups) < SHAPES:
        print(f"fewer than {SHAPES} distinct shapes: all {len(groups)} taken")
    jobs = [(f"s{i}", body, script) for i, (_, [(_, body, script), *_]) in enumerate(chosen)]
    with KubeServer() as kube:
        kube.use_schemas(argo_schemas())
        finals = _replay(kube, jobs)
        differences = {key: compare(script.workflow, finals[key]) for key, _, script in jobs}
        print(f"{'#':>3} {'n':>2} {'example':<46} {'frames':>6} {'nodes':>5} {'diffs':>5}  shape")
        for i, ((features, members), (key, _, script)) in enumerate(zip(chosen, jobs, strict=True)):
            example = str(members[0][0].relative_to(root))
            nodes = len(finals[key]["status"].get("nodes") or {})
            print(
                f"{i + 1:>3} {len(members):>2} {example:<46} {len(script.frames):>6} {nodes:>5} "
                f"{len(differences[key]):>5}  {' '.join(features)}"
            )
        passed = sum(1 for d in differences.values() if not d)
        print(f"0 differences: {passed}/{len(jobs)} shapes")
        assert {k: [str(d) for d in v] for k, v in differences.items() if v} == {}

        # the same again through verify's own path: the Kubernetes transport, a resourceVersion watch
        verified, compressed = _verify_live(kube, tmp_path / "kubeconfig", jobs)
        print(
            f"verify_remote over the Kubernetes transport: 0 differences for {verified}/{len(jobs)} shapes"
            f" ({compressed} of them with compressedNodes)"
        )

        injected: list[tuple[str, str, Script, Script]] = []
        for key, _, script in jobs:
            for kind, inject in INJECTIONS.items():
                made = inject(script)
                if made is not None:
                    injected.append((f"{key}-{kind}", made[1], made[0], script))
        bodies = {key: body for key, body, _ in jobs}
        finals = _replay(kube, [(k, bodies[k.split("-", 1)[0]], variant) for k, _, variant, _ in injected])
    wrong: dict[str, list[str]] = {}
    counts: collections.Counter[str] = collections.Counter()
    for key, expected, _, original in injected:
        found: list[Difference] = compare(original.workflow, finals[key])
        path, what = expected.split("|")
        if [(d.path, d.what) for d in found] != [(path, what)]:
            wrong[key] = [str(d) for d in found] or ["(nothing reported)"]
        else:
            counts[key.split("-", 1)[1]] += 1
    for kind in INJECTIONS:
        total = sum(1 for k, *_ in injected if k.split("-", 1)[1] == kind)
        print(f"injected {kind}: reported exactly once in {counts[kind]}/{total} shapes")
    assert wrong == {}
    assert all(counts[kind] > 0 for kind in INJECTIONS)


SHAPED = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: shaped-}
spec:
  entrypoint: main
  onExit: bye
  parallelism: 2
  arguments: {parameters: [{name: n, value: "3"}]}
  templates:
  - name: main
    steps:
    - - name: loop
        template: work
        withSequence: {count: "{{workflow.parameters.n}}"}
        when: "{{=workflow.parameters.n != '0'}}"
    - - name: lib
        templateRef: {name: lib, template: build}
    - - name: inner
        inline:
          dag:
            tasks:
            - {name: x, template: work, withItems: [1, 2]}
            - {name: y, depends: x, template: wait, continueOn: {failed: true}}
  - name: work
    retryStrategy: {limit: 2}
    outputs: {parameters: [{name: o, valueFrom: {path: /tmp/o}}]}
    script: {image: alpine, source: "echo hi > /tmp/o"}
  - name: wait
    suspend: {duration: "1s"}
  - name: bye
    container: {image: alpine}
"""


def test_a_shape_names_every_feature_used_and_nothing_else() -> None:
    assert shape(yaml.safe_load(SHAPED)) == (
        "arguments.parameters",
        "expression",
        "kind:container",
        "kind:dag",
        "kind:script",
        "kind:steps",
        "kind:suspend",
        "onExit",
        "outputs.parameters",
        "parallelism",
        "retryStrategy",
        "step.inline",
        "step.templateRef",
        "step.when",
        "step.withSequence",
        "task.continueOn",
        "task.depends",
        "task.withItems",
    )
    plain = {"spec": {"templates": [{"name": "main", "container": {"image": "alpine"}}]}}
    assert shape(plain) == ("kind:container",)
    assert shape({"spec": {"workflowTemplateRef": {"name": "t"}}}) == ("workflowTemplateRef",)

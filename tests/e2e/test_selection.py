"""The selection logic of .github/e2e/verify_examples.py (what the e2e-kind job verifies on real Argo)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO_ROOT, corpus_path

SCRIPT = REPO_ROOT / ".github" / "e2e" / "verify_examples.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_examples", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_examples"] = module
    spec.loader.exec_module(module)
    return module


ve = _load()

HELLO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  templates:
    - name: main
      container:
        image: busybox
        command: [echo, hello]
"""


def _wf(spec_extra: str = "", template_extra: str = "", labels: str = "") -> str:
    text = HELLO
    if labels:
        text = text.replace("  generateName: hello-\n", f"  generateName: hello-\n  labels:\n{labels}")
    if spec_extra:
        text = text.replace("  entrypoint: main\n", f"  entrypoint: main\n{spec_extra}")
    return text + template_extra


CASES = {
    "hello.yaml": (HELLO, None),
    "expected-failure.yaml": (
        _wf(labels='    workflows.argoproj.io/no-test: "expected-failure"\n'),
        None,
    ),
    "raw-input.yaml": (
        _wf(
            template_extra="      inputs:\n        artifacts:\n          - name: a\n            path: /tmp/a\n            raw: {data: x}\n"
        ),
        None,
    ),
    "flaky.yaml": (
        _wf(labels='    workflows.argoproj.io/no-test: "flaky"\n'),
        "labelled workflows.argoproj.io/no-test: flaky",
    ),
    "two.yaml": (HELLO + "---\n" + HELLO, "holds more than one Workflow"),
    "with-configmap.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n" + HELLO,
        "other objects (ConfigMap)",
    ),
    "template.yaml": (
        "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: t}\n",
        "holds no Workflow",
    ),
    "wftref.yaml": (_wf(spec_extra="  workflowTemplateRef: {name: t}\n"), "workflowTemplateRef"),
    "sa.yaml": (_wf(spec_extra="  serviceAccountName: robot\n"), "ServiceAccount 'robot'"),
    "tref.yaml": (
        _wf(
            template_extra="    - name: call\n      steps:\n        - - name: x\n            templateRef: {name: t, template: u}\n"
        ),
        "templateRef",
    ),
    "cm-param.yaml": (
        _wf(
            spec_extra="  arguments:\n    parameters:\n      - name: p\n        valueFrom:\n          configMapKeyRef: {name: c, key: k}\n"
        ),
        "ConfigMap",
    ),
    "secret.yaml": (
        _wf(
            template_extra="        env:\n          - name: T\n            valueFrom:\n              secretKeyRef: {name: s, key: k}\n"
        ),
        "Secret",
    ),
    "resource.yaml": (
        _wf(
            template_extra="    - name: make\n      resource:\n        action: create\n        manifest: 'x'\n"
        ),
        "resource template",
    ),
    "http.yaml": (
        _wf(template_extra="    - name: get\n      http:\n        url: https://example.com\n"),
        "HTTP template",
    ),
    "out-art.yaml": (
        _wf(
            template_extra="      outputs:\n        artifacts:\n          - name: o\n            path: /tmp/o\n"
        ),
        "output artifacts",
    ),
    "s3-in.yaml": (
        _wf(
            template_extra="      inputs:\n        artifacts:\n          - name: a\n            path: /tmp/a\n            s3: {key: k}\n"
        ),
        "reads artifact 'a' from an artifact repository",
    ),
    "archive.yaml": (_wf(spec_extra="  archiveLogs: true\n"), "archives logs"),
    "pvc.yaml": (
        _wf(spec_extra="  volumes:\n    - name: v\n      persistentVolumeClaim: {claimName: mine}\n"),
        "PersistentVolumeClaim 'mine'",
    ),
    "broken.yaml": ("kind: Workflow\n  bad: [\n", "not readable YAML"),
}


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    root = tmp_path / "examples"
    (root / "sub").mkdir(parents=True)
    for name, (text, _) in CASES.items():
        (root / ("sub" if name == "hello.yaml" else "") / name).write_text(text)
    return root


def test_static_selection_gives_each_file_its_reason(examples: Path) -> None:
    choices = {c.path.name: c for c in ve.select_examples(examples)}
    assert set(choices) == set(CASES)
    for name, (_, expected) in CASES.items():
        reason = choices[name].reason
        if expected is None:
            assert reason is None, (name, reason)
        else:
            assert reason is not None and expected in reason, (name, reason)
    assert [c.path.name for c in ve.select_examples(examples)][:2] == [
        "archive.yaml",
        "broken.yaml",
    ]  # sorted


def test_symlink_out_of_the_examples_is_not_followed(examples: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(HELLO)
    (examples / "link.yaml").symlink_to(outside)
    link = next(c for c in ve.select_examples(examples) if c.path.name == "link.yaml")
    assert link.reason == "a symlink out of the examples folder"


def test_engine_preflight_removes_what_the_local_engine_cannot_run(examples: Path) -> None:
    (examples / "suspended.yaml").write_text(_wf(spec_extra="  suspend: true\n"))
    chosen = {c.path.name: c.reason for c in ve.with_engine(ve.select_examples(examples), None)}
    assert chosen["hello.yaml"] is None
    assert chosen["suspended.yaml"] is not None and chosen["suspended.yaml"].startswith("local engine: ")
    assert "spec.suspend" in chosen["suspended.yaml"]
    assert chosen["flaky.yaml"].startswith("labelled")  # static reasons are kept, not re-checked


def _entry(
    output: str, verdict: str = "successful", secrets: dict[str, object] | None = None, **extra: object
) -> dict[str, object]:
    return {
        "source": f"/starter/ci/{Path(output).stem}.yml",
        "output": output,
        "verdict": verdict,
        "kind": "Workflow",
        "error": None,
        "manualTasks": {"secrets": secrets or {}},
        **extra,
    }


def test_starters_need_a_complete_conversion_and_no_secrets(tmp_path: Path) -> None:
    out = tmp_path / "converted"
    out.mkdir()
    report = {
        "workflows": [
            _entry("converted/go.yaml"),
            _entry("converted/docker.yaml", verdict="partial"),
            _entry("converted/npm.yaml", secrets={"npm_token": ["step publish"]}),
            _entry("converted/bad.yaml", error="boom"),
            _entry("converted/tmpl.yaml", kind="WorkflowTemplate"),
            _entry("../elsewhere.yaml"),
            {"source": "x.yml", "output": None},
        ]
    }
    choices = ve.select_starters(report, out, tmp_path)
    reasons = {c.path.name: c.reason for c in choices}
    assert reasons == {
        "go.yaml": None,
        "docker.yaml": "conversion partial (not every step converted)",
        "npm.yaml": "needs secrets: npm_token",
        "bad.yaml": "conversion error: boom",
        "tmpl.yaml": "converted to a WorkflowTemplate, not a Workflow",
        "elsewhere.yaml": "output outside the conversion folder",
    }
    assert next(c for c in choices if c.path.name == "go.yaml").path == tmp_path / "converted" / "go.yaml"
    assert {c.group for c in choices} >= {"starter:go.yml"}


def test_summary_counts_and_lists_skips(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    choices = [
        ve.Choice(a, "argo-examples"),
        ve.Choice(b, "argo-examples", "labelled"),
        ve.Choice(c, "starter:c.yml"),
    ]
    results = {a: {"verdict": "same", "exitCode": 0}, c: {"verdict": "different", "exitCode": 1}}
    summary = ve.summarize(choices, results, "kind-wfsync")
    assert summary["totals"] == {"same": 1, "different": 1, "error": 0}
    assert summary["groups"]["argo-examples"] == {
        "verified": 1,
        "skipped": [{"file": str(b), "reason": "labelled"}],
    }
    assert summary["groups"]["starter-workflows"]["verified"] == 1
    assert [r["file"] for r in summary["results"]] == [str(a), str(c)]
    json.dumps(summary)


def test_verify_reads_the_cli_json(tmp_path: Path) -> None:
    fake = tmp_path / "fake_wfsync.py"
    fake.write_text(
        "import json, sys\n"
        "name = sys.argv[2]\n"
        "if 'same' in name: print(json.dumps({'workflow': 'w', 'phase': 'Succeeded', 'nodes': 2, 'differences': []})); sys.exit(0)\n"
        "if 'diff' in name: print(json.dumps({'workflow': 'w', 'phase': 'Failed', 'nodes': 3, 'differences': [{'kind': 'phase'}]})); sys.exit(1)\n"
        "print(json.dumps({'exitCode': 3, 'error': {'message': 'target unreachable'}})); sys.exit(3)\n"
    )
    run = [sys.executable, str(fake)]
    same = ve.verify(Path("same.yaml"), "t", 30, run)
    assert same["verdict"] == "same" and same["phase"] == "Succeeded" and same["nodes"] == 2
    diff = ve.verify(Path("diff.yaml"), "t", 30, run)
    assert diff["verdict"] == "different" and diff["differences"] == [{"kind": "phase"}]
    error = ve.verify(Path("x.yaml"), "t", 30, run)
    assert error == {
        "exitCode": 3,
        "seconds": error["seconds"],
        "verdict": "error",
        "error": "target unreachable",
    }


@pytest.mark.corpus
def test_argo_corpus_selection() -> None:
    root = corpus_path("argo", "examples")
    choices = {str(c.path.relative_to(root)): c.reason for c in ve.select_examples(root)}
    assert choices["hello-world.yaml"] is None
    assert choices["steps.yaml"] is None
    assert "ConfigMap" in (choices["arguments-parameters-from-configmap.yaml"] or "")
    assert (choices["artifactory-artifact.yaml"] or "").startswith("labelled")
    selected = [name for name, reason in choices.items() if reason is None]
    print(f"\nstatically selected: {len(selected)} of {len(choices)} files")
    assert len(selected) >= 50


def test_main_verifies_the_selection_and_writes_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "hello.yaml").write_text(HELLO)
    (examples / "differs.yaml").write_text(HELLO.replace("hello-", "differs-"))
    (examples / "flaky.yaml").write_text(_wf(labels='    workflows.argoproj.io/no-test: "flaky"\n'))
    fake = tmp_path / "fake_wfsync.py"
    fake.write_text(
        "import json, sys\n"
        "assert sys.argv[1] == 'verify' and sys.argv[3:] == ['--target', 'kind-e2e', '-o', 'json'], sys.argv\n"
        "bad = 'differs' in sys.argv[2]\n"
        "print(json.dumps({'phase': 'Succeeded', 'nodes': 1, 'differences': [{'kind': 'phase'}] if bad else []}))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    summary = tmp_path / "summary.json"
    monkeypatch.chdir(tmp_path)
    args = ["--examples", str(examples), "--target", "kind-e2e", "--summary", str(summary)]
    code = ve.main([*args, "--wfsync", f"{sys.executable} {fake}", "--jobs", "2"])
    assert code == 1
    doc = json.loads(summary.read_text())
    assert doc["totals"] == {"same": 1, "different": 1, "error": 0}
    assert [Path(r["file"]).name for r in doc["results"]] == ["differs.yaml", "hello.yaml"]
    assert doc["groups"]["argo-examples"]["skipped"][0]["reason"].startswith("labelled")
    (examples / "differs.yaml").unlink()
    assert ve.main([*args, "--wfsync", f"{sys.executable} {fake}"]) == 0

"""The shipped template library: Argo's CRD schema, Argo's validation rules, conventions, behaviour.

Schema checks use Argo's full CRDs made strict (tests/support/crd_schema.py). Semantic checks port
the parts of Argo's validator that apply to ClusterWorkflowTemplates. Behaviour checks run the
templates' scripts on this machine with the environment the template would give the container
(inputs substituted, container paths moved into a temporary directory).
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.crd_schema import validate_document

LIBRARY = Path(__file__).resolve().parents[2] / "library"
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TAG = re.compile(r"{{\s*([^{}]*?)\s*}}")
# Variables Argo's validator checks (workflow/validate resolveAllVariables); others pass through.
CHECKED_PREFIXES = ("inputs.", "outputs.", "steps.", "tasks.", "workflow.", "pod.", "item.")
DESCRIPTION = "workflows.argoproj.io/description"
VERSION_LABEL = "wfsync.io/version"
# Volumes the calling Workflow provides, by library convention (library/README.md).
CALLER_VOLUMES = {"workspace": "/workspace", "cache": "/cache"}


def _load_library() -> list[tuple[str, dict[str, Any]]]:
    docs: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(LIBRARY.glob("*.y*ml")):
        with path.open(encoding="utf-8") as handle:
            docs.extend((path.name, doc) for doc in yaml.safe_load_all(handle) if doc is not None)
    return docs


DOCS = _load_library()
DOC_IDS = [f"{file}:{doc.get('metadata', {}).get('name')}" for file, doc in DOCS]
TEMPLATES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (doc, tmpl) for _, doc in DOCS for tmpl in doc["spec"]["templates"]
]
TEMPLATE_IDS = [f"{doc['metadata']['name']}/{tmpl['name']}" for doc, tmpl in TEMPLATES]


def _template(cwft: str, name: str) -> dict[str, Any]:
    for doc, tmpl in TEMPLATES:
        if doc["metadata"]["name"] == cwft and tmpl["name"] == name:
            return tmpl
    raise KeyError(f"{cwft}/{name}")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _pod_spec(tmpl: dict[str, Any]) -> dict[str, Any] | None:
    return tmpl.get("script") or tmpl.get("container")


# --------------------------------------------------------------------------------------- library shape


def test_library_has_enough_documented_cluster_templates() -> None:
    assert len(DOCS) >= 12
    assert {doc["kind"] for _, doc in DOCS} == {"ClusterWorkflowTemplate"}
    names = [doc["metadata"]["name"] for _, doc in DOCS]
    assert len(names) == len(set(names)), f"duplicate metadata.name: {names}"
    readme = (LIBRARY / "README.md").read_text(encoding="utf-8")
    for doc, tmpl in TEMPLATES:
        ref = f"name: {doc['metadata']['name']}\n"
        assert ref in readme or f"name: {doc['metadata']['name']}," in readme, (
            f"README has no templateRef example for {doc['metadata']['name']}"
        )
        assert f"`{tmpl['name']}`" in readme


def test_one_family_per_file() -> None:
    per_file: dict[str, int] = {}
    for file, _ in DOCS:
        per_file[file] = per_file.get(file, 0) + 1
    assert all(count == 1 for count in per_file.values()), per_file
    for file, doc in DOCS:
        assert Path(file).stem == doc["metadata"]["name"]


@pytest.mark.corpus
@pytest.mark.parametrize(("file", "doc"), DOCS, ids=DOC_IDS)
def test_document_matches_argo_crd_schema(file: str, doc: dict[str, Any]) -> None:
    errors = validate_document(doc)
    assert errors == [], f"{file}:\n" + "\n".join(errors)


@pytest.mark.parametrize(("file", "doc"), DOCS, ids=DOC_IDS)
def test_document_metadata_conventions(file: str, doc: dict[str, Any]) -> None:
    meta = doc["metadata"]
    assert KEBAB.match(meta["name"]) and len(meta["name"]) <= 63, meta["name"]
    assert not re.search(r"-v\d+$", meta["name"]), "the version goes in the label, not the name"
    assert SEMVER.match(str(meta.get("labels", {}).get(VERSION_LABEL, ""))), f"{file}: {VERSION_LABEL}"
    assert str(meta.get("annotations", {}).get(DESCRIPTION, "")).strip(), f"{file}: {DESCRIPTION}"
    assert "entrypoint" not in doc["spec"], "library templates are called through templateRef"


@pytest.mark.parametrize(("doc", "tmpl"), TEMPLATES, ids=TEMPLATE_IDS)
def test_parameters_are_described(doc: dict[str, Any], tmpl: dict[str, Any]) -> None:
    del doc
    params = tmpl.get("inputs", {}).get("parameters", []) + tmpl.get("outputs", {}).get("parameters", [])
    for param in params:
        text = str(param.get("description", "")).strip()
        assert text, f"parameter {param['name']} has no description"
        # A full sentence; a plain YAML scalar cut short by " #" would not end like one.
        assert text.endswith((".", ")")), f"description of {param['name']} looks truncated: {text!r}"
    for param in tmpl.get("inputs", {}).get("parameters", []):
        if "enum" in param and "default" in param:
            assert param["default"] in param["enum"], param["name"]
    names = [p["name"] for p in tmpl.get("inputs", {}).get("parameters", [])]
    assert len(names) == len(set(names))


# ------------------------------------------------------------------------------ Argo validation rules


@pytest.mark.parametrize(("file", "doc"), DOCS, ids=DOC_IDS)
def test_template_names_unique_and_references_resolve(file: str, doc: dict[str, Any]) -> None:
    templates = doc["spec"]["templates"]
    names = [tmpl["name"] for tmpl in templates]
    assert len(names) == len(set(names)), f"{file}: duplicate template names {names}"
    by_name = {tmpl["name"]: tmpl for tmpl in templates}
    for tmpl in templates:
        for step in _calls(tmpl):
            target = _resolve(step, by_name)
            assert target is not None, f"{file}: {tmpl['name']} calls unknown {step}"
            inputs = {p["name"]: p for p in target.get("inputs", {}).get("parameters", [])}
            given = {a["name"] for a in step.get("arguments", {}).get("parameters", [])}
            assert given <= set(inputs), f"{file}: {step['name']} passes unknown {given - set(inputs)}"
            missing = {n for n, p in inputs.items() if "default" not in p and "value" not in p} - given
            assert not missing, f"{file}: {step['name']} does not supply required {missing}"


def _calls(tmpl: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [step for group in tmpl.get("steps", []) for step in group]
    tasks: list[dict[str, Any]] = tmpl.get("dag", {}).get("tasks", [])
    return steps + tasks


def _resolve(step: dict[str, Any], local: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    if "template" in step:
        return local.get(step["template"])
    ref = step.get("templateRef", {})
    if not ref.get("clusterScope"):
        return None
    try:
        return _template(ref["name"], ref["template"])
    except KeyError:
        return None


@pytest.mark.parametrize(("doc", "tmpl"), TEMPLATES, ids=TEMPLATE_IDS)
def test_variables_resolve(doc: dict[str, Any], tmpl: dict[str, Any]) -> None:
    del doc
    scope = {f"inputs.parameters.{p['name']}" for p in tmpl.get("inputs", {}).get("parameters", [])}
    scope |= {f"inputs.artifacts.{a['name']}" for a in tmpl.get("inputs", {}).get("artifacts", [])}
    for step in _calls(tmpl):
        prefix = "steps" if "steps" in tmpl else "tasks"
        target = _resolve(step, {t["name"]: t for _, t in TEMPLATES})
        assert target is not None
        scope.add(f"{prefix}.{step['name']}.status")
        for param in target.get("outputs", {}).get("parameters", []):
            scope.add(f"{prefix}.{step['name']}.outputs.parameters.{param['name']}")
    for text in _strings(tmpl):
        for tag in TAG.findall(text):
            if tag.startswith("=") or not tag.startswith(CHECKED_PREFIXES) or tag.startswith("outputs."):
                continue
            assert tag in scope, f"{{{{{tag}}}}} does not resolve in {tmpl['name']}"


@pytest.mark.parametrize(("doc", "tmpl"), TEMPLATES, ids=TEMPLATE_IDS)
def test_exactly_one_template_type(doc: dict[str, Any], tmpl: dict[str, Any]) -> None:
    del doc
    kinds = [k for k in ("container", "script", "steps", "dag", "suspend", "http", "resource") if k in tmpl]
    assert len(kinds) == 1, kinds
    if "timeout" in tmpl:
        assert kinds[0] in {"container", "script"}, "timeout is only valid on leaf templates"


# ------------------------------------------------------------------------------------ conventions


@pytest.mark.parametrize(("doc", "tmpl"), TEMPLATES, ids=TEMPLATE_IDS)
def test_images_are_pinned(doc: dict[str, Any], tmpl: dict[str, Any]) -> None:
    del doc
    spec = _pod_spec(tmpl)
    if spec is None:
        return
    image = spec["image"]
    defaults = {p["name"]: p.get("default", "") for p in tmpl.get("inputs", {}).get("parameters", [])}
    resolved = TAG.sub(lambda m: defaults[m.group(1).removeprefix("inputs.parameters.")], image)
    name, _, tag = resolved.rpartition(":")
    assert name and tag and tag != "latest" and "/" not in tag, f"image {resolved!r} is not pinned to a tag"


@pytest.mark.parametrize(("doc", "tmpl"), TEMPLATES, ids=TEMPLATE_IDS)
def test_volume_conventions(doc: dict[str, Any], tmpl: dict[str, Any]) -> None:
    del doc
    spec = _pod_spec(tmpl)
    if spec is None:
        return
    own = {volume["name"] for volume in tmpl.get("volumes", [])}
    mounts = {mount["name"]: mount["mountPath"] for mount in spec.get("volumeMounts", [])}
    for name, path in mounts.items():
        assert name in own or CALLER_VOLUMES.get(name) == path, f"volume {name} at {path}"
    if "workspace" in mounts:
        assert spec.get("workingDir") == "/workspace"


@pytest.mark.parametrize(("doc", "tmpl"), TEMPLATES, ids=TEMPLATE_IDS)
def test_no_secret_values_inline(doc: dict[str, Any], tmpl: dict[str, Any]) -> None:
    del doc
    spec = _pod_spec(tmpl) or {}
    for env in spec.get("env", []):
        if re.search(r"TOKEN|PASSWORD|SECRET|WEBHOOK_URL", env["name"]):
            assert "valueFrom" in env, f"{env['name']} must come from a Secret"
    for header in tmpl.get("http", {}).get("headers", []):
        if header["name"].lower() == "authorization":
            assert "valueFrom" in header


@pytest.mark.parametrize(("doc", "tmpl"), TEMPLATES, ids=TEMPLATE_IDS)
def test_scripts_are_strict_and_parse(doc: dict[str, Any], tmpl: dict[str, Any], tmp_path: Path) -> None:
    del doc
    script = tmpl.get("script")
    if script is None or "{{" in "".join(script["command"]):
        return  # run-script runs the caller's source with the caller's interpreter
    source = script["source"]
    interpreter = script["command"][0]
    path = tmp_path / "script"
    path.write_text(source, encoding="utf-8")
    if interpreter == "bash":
        assert source.lstrip().startswith("set -euo pipefail")
        subprocess.run(["bash", "-n", str(path)], check=True)
    elif interpreter == "sh":
        # Alpine and busybox images have no bash, and dash has no pipefail.
        assert source.lstrip().startswith("set -eu\n")
        assert not re.search(r"^\s*set\s+-\w*o\s+pipefail", source, re.MULTILINE)
        assert not re.search(r"\[\[|^\s*source\s", source, re.MULTILINE)
        subprocess.run(["sh", "-n", str(path)], check=True)
    elif interpreter == "python":
        compile(source, str(path), "exec")
    else:
        pytest.fail(f"unexpected interpreter {interpreter}")
    # Inputs reach scripts through the environment, never spliced into the text.
    assert "{{" not in source


# ---------------------------------------------------------------------------------- behaviour


@dataclass
class Run:
    """The result of running a template's script locally."""

    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str] = field(default_factory=dict)


def run_template(
    cwft: str,
    name: str,
    tmp_path: Path,
    params: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    env_overrides: dict[str, str] | None = None,
) -> Run:
    """Run a script template with its inputs substituted, container paths mapped under tmp_path."""
    tmpl = _template(cwft, name)
    script = tmpl["script"]
    values = {p["name"]: p.get("default") for p in tmpl.get("inputs", {}).get("parameters", [])}
    values.update(params or {})
    missing = [key for key, value in values.items() if value is None]
    assert not missing, f"required inputs not given: {missing}"
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    mapped: dict[str, Path] = {"/workspace": workspace}

    def substitute(text: str) -> str:
        return TAG.sub(lambda m: str(values[m.group(1).removeprefix("inputs.parameters.")]), text)

    def local(path: str) -> Path:
        for prefix, target in sorted(mapped.items(), key=lambda item: -len(item[0])):
            if path == prefix or path.startswith(prefix + "/"):
                return target / path[len(prefix) :].lstrip("/")
        raise AssertionError(f"container path {path} is not mapped")

    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env["TMPDIR"] = str(tmp_path)
    for item in script.get("env", []):
        if "valueFrom" in item:
            ref = item["valueFrom"]["secretKeyRef"]
            if (secrets or {}).get(item["name"]) is not None:
                env[item["name"]] = (secrets or {})[item["name"]]
            else:
                assert ref.get("optional"), f"secret {item['name']} is required"
            continue
        value = substitute(item["value"])
        if value.startswith("/") and not value.startswith("/workspace"):
            target = tmp_path / "mnt" / value.strip("/").replace("/", "_")
            mapped[value] = target
        env[item["name"]] = str(local(value)) if value.startswith("/") else value
    env.update(env_overrides or {})
    for artifact in tmpl.get("inputs", {}).get("artifacts", []):
        assert artifact["path"] in mapped, "input artifacts are read through an environment variable"
    source = tmp_path / "source"
    source.write_text(script["source"], encoding="utf-8")
    command = [substitute(part) for part in script["command"]]
    proc = subprocess.run(
        [*command, str(source)],
        cwd=local(script.get("workingDir", "/workspace")),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outputs = {}
    for param in tmpl.get("outputs", {}).get("parameters", []):
        path = local(param["valueFrom"]["path"])
        if path.exists():
            outputs[param["name"]] = path.read_text(encoding="utf-8").removesuffix("\n")
        elif "default" in param["valueFrom"]:
            outputs[param["name"]] = param["valueFrom"]["default"]
    for artifact in tmpl.get("outputs", {}).get("artifacts", []):
        outputs[f"artifact:{artifact['name']}"] = str(local(artifact["path"]))
    return Run(proc.returncode, proc.stdout, proc.stderr, outputs)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    repo = tmp_path / "origin"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "app.txt").write_text("one\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    _git(repo, "tag", "v1")
    (repo / "app.txt").write_text("two\n")
    _git(repo, "commit", "-q", "-am", "two")
    return repo


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
class TestGitCheckout:
    def test_default_branch_shallow(self, tmp_path: Path, origin: Path) -> None:
        run = run_template("git-checkout", "checkout", tmp_path, {"repo": origin.as_uri()})
        assert run.returncode == 0, run.stderr
        work = tmp_path / "workspace"
        assert run.outputs == {"commit": _git(origin, "rev-parse", "HEAD"), "ref": "HEAD"}
        assert (work / "app.txt").read_text() == "two\n"
        assert _git(work, "rev-list", "--count", "HEAD") == "1"
        assert ".cache/" in (work / ".git" / "info" / "exclude").read_text()

    def test_tag_and_commit_into_subdirectory(self, tmp_path: Path, origin: Path) -> None:
        first = _git(origin, "rev-parse", "v1")
        for revision in ("v1", first):
            run = run_template(
                "git-checkout",
                "checkout",
                tmp_path,
                {"repo": origin.as_uri(), "revision": revision, "path": "src/app", "depth": "0"},
            )
            assert run.returncode == 0, run.stderr
            assert run.outputs["commit"] == first
            assert (tmp_path / "workspace/src/app/app.txt").read_text() == "one\n"

    def test_bad_depth_and_unknown_revision_fail(self, tmp_path: Path, origin: Path) -> None:
        bad = run_template("git-checkout", "checkout", tmp_path, {"repo": origin.as_uri(), "depth": "x"})
        assert bad.returncode == 2 and "depth" in bad.stderr
        missing = run_template(
            "git-checkout", "checkout", tmp_path, {"repo": origin.as_uri(), "revision": "nope"}
        )
        assert missing.returncode != 0


class TestCache:
    def test_save_then_restore_exact_and_prefix(self, tmp_path: Path) -> None:
        work = tmp_path / "workspace"
        (work / ".cache/pip").mkdir(parents=True)
        (work / ".cache/pip/wheel").write_text("w")
        saved = run_template(
            "cache", "save", tmp_path, {"key": "pip-linux/abc", "path": ".cache/pip\nnot-there\n"}
        )
        assert saved.returncode == 0, saved.stderr
        assert saved.outputs == {"saved": "true"}
        again = run_template("cache", "save", tmp_path, {"key": "pip-linux/abc", "path": ".cache/pip"})
        assert again.outputs == {"saved": "false"}

        shutil.rmtree(work / ".cache")
        exact = run_template("cache", "restore", tmp_path, {"key": "pip-linux/abc"})
        assert exact.returncode == 0, exact.stderr
        assert exact.outputs == {"cache-hit": "true", "matched-key": "pip-linux_abc"}
        assert (work / ".cache/pip/wheel").read_text() == "w"

        prefix = run_template(
            "cache", "restore", tmp_path, {"key": "pip-linux/def", "restore-keys": "npm-\npip-linux/"}
        )
        assert prefix.outputs == {"cache-hit": "false", "matched-key": "pip-linux_abc"}

    def test_miss(self, tmp_path: Path) -> None:
        miss = run_template("cache", "restore", tmp_path, {"key": "k", "restore-keys": "other-"})
        assert miss.returncode == 0 and miss.outputs == {"cache-hit": "false", "matched-key": ""}
        fail = run_template("cache", "restore", tmp_path, {"key": "k", "fail-on-miss": "true"})
        assert fail.returncode == 1
        nothing = run_template("cache", "save", tmp_path, {"key": "k", "path": "absent"})
        assert nothing.returncode == 0 and nothing.outputs == {"saved": "false"}

    def test_hash_files(self, tmp_path: Path) -> None:
        work = tmp_path / "workspace"
        (work / "web").mkdir(parents=True)
        (work / "package-lock.json").write_text("a")
        (work / "web/package-lock.json").write_text("b")
        patterns = {"patterns": "**/package-lock.json"}
        first = run_template("cache", "hash-files", tmp_path, patterns)
        assert first.returncode == 0, first.stderr
        assert re.fullmatch(r"[0-9a-f]{64}", first.outputs["hash"])
        top_only = run_template("cache", "hash-files", tmp_path, {"patterns": "package-lock.json"})
        assert top_only.outputs["hash"] != first.outputs["hash"]
        (work / "web/package-lock.json").write_text("c")
        assert (
            run_template("cache", "hash-files", tmp_path, patterns).outputs["hash"] != first.outputs["hash"]
        )
        none = run_template("cache", "hash-files", tmp_path, {"patterns": "*.nothing"})
        assert none.returncode == 0 and none.outputs["hash"] == ""


class TestArtifact:
    def test_upload_stages_directories_and_files(self, tmp_path: Path) -> None:
        work = tmp_path / "workspace"
        (work / "dist/sub").mkdir(parents=True)
        (work / "dist/sub/a.whl").write_text("a")
        (work / "report.xml").write_text("r")
        run = run_template("artifact", "upload", tmp_path, {"path": "dist\nreport.xml"})
        assert run.returncode == 0, run.stderr
        staged = Path(run.outputs["artifact:files"])
        assert sorted(str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_file()) == [
            "report.xml",
            "sub/a.whl",
        ]
        assert run.outputs["files"] == "2"

    def test_upload_nothing(self, tmp_path: Path) -> None:
        error = run_template("artifact", "upload", tmp_path, {"path": "missing"})
        assert error.returncode == 1 and "no files" in error.stderr
        warn = run_template("artifact", "upload", tmp_path, {"path": "missing", "if-no-files-found": "warn"})
        assert warn.returncode == 0 and warn.outputs["files"] == "0"

    def test_download_directory_and_file(self, tmp_path: Path) -> None:
        source = tmp_path / "mnt" / "tmp_wfsync-download"
        (source / "sub").mkdir(parents=True)
        (source / "sub/x").write_text("x")
        run = run_template("artifact", "download", tmp_path, {"path": "out"})
        assert run.returncode == 0, run.stderr
        assert (tmp_path / "workspace/out/sub/x").read_text() == "x"
        shutil.rmtree(source)
        source.write_text("single")
        single = run_template("artifact", "download", tmp_path, {"path": "bin/tool"})
        assert single.returncode == 0 and (tmp_path / "workspace/bin/tool").read_text() == "single"
        into_dir = run_template("artifact", "download", tmp_path, {"path": "out"})
        assert into_dir.returncode == 2


class TestShell:
    def test_bash_env_outputs_and_working_directory(self, tmp_path: Path) -> None:
        (tmp_path / "workspace/app").mkdir(parents=True)
        script = (
            'echo "dir=$(basename "$PWD")" >> "$GITHUB_OUTPUT"\necho "GREETING=$GREETING" >> "$GITHUB_ENV"\n'
        )
        run = run_template(
            "shell",
            "run",
            tmp_path,
            {"script": script, "working-directory": "app", "env": "# comment\nGREETING=hello world\n"},
        )
        assert run.returncode == 0, run.stderr
        assert run.outputs == {"output": "dir=app", "env": "GREETING=hello world"}

    def test_bash_is_strict_like_github(self, tmp_path: Path) -> None:
        failed_pipe = run_template("shell", "run", tmp_path, {"script": "false | true\necho after"})
        assert failed_pipe.returncode != 0 and "after" not in failed_pipe.stdout
        sh = run_template("shell", "run", tmp_path, {"script": "false\necho after", "shell": "sh"})
        assert sh.returncode != 0 and "after" not in sh.stdout

    def test_base64_script_keeps_argo_braces(self, tmp_path: Path) -> None:
        text = "echo '{{inputs.parameters.x}} ${{ github.sha }}'\n"
        run = run_template(
            "shell",
            "run",
            tmp_path,
            {"script": base64.b64encode(text.encode()).decode(), "script-encoding": "base64"},
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "{{inputs.parameters.x}} ${{ github.sha }}"

    def test_python_custom_and_unknown_shells(self, tmp_path: Path) -> None:
        python = run_template("shell", "run", tmp_path, {"script": "print(6 * 7)", "shell": "python"})
        assert python.returncode == 0 and python.stdout.strip() == "42"
        custom = run_template("shell", "run", tmp_path, {"script": "echo $0", "shell": "bash -e {0}"})
        assert custom.returncode == 0 and custom.stdout.strip().endswith("/script")
        unknown = run_template("shell", "run", tmp_path, {"script": "x", "shell": "fish"})
        assert unknown.returncode == 2 and "unsupported shell" in unknown.stderr

    def test_value_with_shell_syntax_is_not_evaluated(self, tmp_path: Path) -> None:
        run = run_template("shell", "run", tmp_path, {"script": 'echo "$V"', "env": "V=$(id) `id` ;x"})
        assert run.returncode == 0 and run.stdout.strip() == "$(id) `id` ;x"


def test_approval_gate_check(tmp_path: Path) -> None:
    ok = run_template("approval", "require-approval", tmp_path, {"approve": "true", "comment": "lgtm"})
    assert ok.returncode == 0 and "lgtm" in ok.stdout
    no = run_template("approval", "require-approval", tmp_path, {"approve": "false"})
    assert no.returncode == 1


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_runs_build_and_test_commands(tmp_path: Path) -> None:
    run = run_template(
        "node",
        "test",
        tmp_path,
        {
            "install-command": "",
            "build-command": "echo built > out.txt",
            "test-command": "node -e 'process.exit(3)'",
        },
    )
    assert run.returncode == 3
    assert (tmp_path / "workspace/out.txt").read_text() == "built\n"
    assert run.outputs["node-version"].startswith("v")


@pytest.mark.skipif(shutil.which("java") is None, reason="java is not installed")
def test_java_auto_needs_a_build_tool(tmp_path: Path) -> None:
    # A PATH with the JDK and the shell tools only, so that a host mvn/gradle is not picked up.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("java", "bash", "sh", "head", "cat", "mkdir"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    path = {"PATH": str(bin_dir)}
    run = run_template("java", "build", tmp_path, env_overrides=path)
    assert run.returncode == 2 and "mvnw" in run.stderr
    (tmp_path / "workspace/gradlew").write_text('echo gradle-wrapper "$@"\n')
    wrapper = run_template("java", "build", tmp_path, env_overrides=path)
    assert wrapper.returncode == 0, wrapper.stderr
    assert "gradle-wrapper build" in wrapper.stdout
    assert wrapper.outputs["java-version"]


def test_python_runs_test_command(tmp_path: Path) -> None:
    run = run_template(
        "python",
        "test",
        tmp_path,
        {"use-venv": "false", "install-command": "", "test-command": "python -c 'import sys; sys.exit(4)'"},
    )
    assert run.returncode == 4
    assert re.fullmatch(r"3\.\d+\.\d+.*", run.outputs["python-version"])


@pytest.mark.slow
def test_python_auto_install_in_venv(tmp_path: Path) -> None:
    work = tmp_path / "workspace"
    work.mkdir()
    (work / "requirements.txt").write_text("# nothing to install\n")
    run = run_template(
        "python", "test", tmp_path, {"test-command": "python -c 'import sys; print(sys.prefix)'"}
    )
    assert run.returncode == 0, run.stderr
    assert "wfsync-venv" in run.stdout


class _Capture(http.server.BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        del format, args


def test_slack_posts_escaped_json_from_secret_url(tmp_path: Path) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        message = 'build "main" failed\nsee <https://ci.example/1|logs> \\o/'
        url = f"http://127.0.0.1:{server.server_port}/hook"
        run = run_template(
            "notify",
            "slack",
            tmp_path,
            {"message": message, "channel": "#ci"},
            secrets={"SLACK_WEBHOOK_URL": url},
        )
    finally:
        server.shutdown()
    assert run.returncode == 0, run.stderr
    assert json.loads(_Capture.bodies[-1]) == {"text": message, "channel": "#ci"}


# ------------------------------------------------------------------------------------------- README


def _readme_yaml_blocks() -> list[Any]:
    text = (LIBRARY / "README.md").read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)]


def _template_refs(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "templateRef" in node:
            yield node
        for value in node.values():
            yield from _template_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _template_refs(item)


def test_readme_examples_call_templates_correctly() -> None:
    calls = [call for block in _readme_yaml_blocks() for call in _template_refs(block)]
    calls = [call for call in calls if not call["templateRef"]["name"].startswith("<")]  # the syntax sketch
    called = {(c["templateRef"]["name"], c["templateRef"]["template"]) for c in calls}
    families = {doc["metadata"]["name"] for _, doc in DOCS}
    assert families <= {name for name, _ in called}, "every family has a templateRef example"
    for call in calls:
        target = _resolve(call, {})
        assert target is not None, f"README calls unknown {call['templateRef']}"
        inputs = {p["name"]: p for p in target.get("inputs", {}).get("parameters", [])}
        given = {p["name"] for p in call.get("arguments", {}).get("parameters", [])}
        assert given <= set(inputs), f"{call['name']}: unknown inputs {given - set(inputs)}"
        required = {name for name, p in inputs.items() if "default" not in p}
        assert required <= given, f"{call['name']}: missing required {required - given}"
        for param in call.get("arguments", {}).get("parameters", []):
            enum = inputs[param["name"]].get("enum")
            assert enum is None or "{{" in param["value"] or param["value"] in enum, param


@pytest.mark.corpus
def test_readme_complete_workflow_is_valid() -> None:
    workflows = [b for b in _readme_yaml_blocks() if isinstance(b, dict) and b.get("kind") == "Workflow"]
    assert len(workflows) == 1
    workflow = workflows[0]
    assert validate_document(workflow) == []
    declared = {v["metadata"]["name"] for v in workflow["spec"].get("volumeClaimTemplates", [])}
    declared |= {v["name"] for v in workflow["spec"].get("volumes", [])}
    for call in _template_refs(workflow):
        target = _resolve(call, {})
        assert target is not None
        spec = _pod_spec(target) or {}
        for mount in spec.get("volumeMounts", []):
            own = {v["name"] for v in target.get("volumes", [])}
            assert mount["name"] in own | declared, f"{call['name']} needs volume {mount['name']}"

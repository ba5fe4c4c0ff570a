"""Any public action runs: ``github-action/run`` fetches it from git and runs it as GitHub does.

Action repositories are made here (``git init`` in tmp) and fetched through ``file://`` URLs; the
workflows run on the local engine, so node, composite and Docker (a fake ``docker`` on PATH)
actions really run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfsync.cli.app import app
from wfsync.convert.gha import load_rules
from wfsync.convert.gha.rules import generic_rule

LIBRARY = Path(__file__).resolve().parents[2] / "library" / "github-action.yaml"
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def _repo(root: Path, name: str, files: dict[str, str], tag: str = "v1") -> None:
    repo = root / name
    repo.mkdir(parents=True)
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(textwrap.dedent(text), encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "one"], ["tag", tag]):
        subprocess.run(["git", *cmd], cwd=repo, env=env, check=True, capture_output=True)


GREET = {
    "action.yml": """\
        name: greet
        inputs:
          who: {description: whom, default: world}
          the place: {description: an input name with a space, default: "${{ github.repository }}"}
        outputs:
          greeting: {description: the greeting}
        runs:
          using: node20
          pre: pre.js
          main: index.js
          post: post.js
        """,
    "pre.js": "require('fs').appendFileSync(process.env.GITHUB_STATE, 'started=yes\\n');\n",
    "index.js": """\
        const fs = require('fs');
        const who = process.env.INPUT_WHO;
        console.log(`hello ${who} in ${process.env['INPUT_THE_PLACE']} (pre: ${process.env.STATE_started})`);
        fs.appendFileSync(process.env.GITHUB_OUTPUT, `greeting=hello ${who}\\n`);
        fs.appendFileSync(process.env.GITHUB_OUTPUT, `seen=${process.env['INPUT_THE_PLACE']}/${process.env.STATE_started}\\n`);
        fs.appendFileSync(process.env.GITHUB_ENV, `GREETED=${who}\\n`);
        console.log('::set-output name=legacy::old style');
        if (process.env.INPUT_TOKEN) fs.appendFileSync(process.env.GITHUB_OUTPUT, `token=${process.env.INPUT_TOKEN}\\n`);
        """,
    "post.js": "console.log('post: ' + process.env.STATE_started);\n",
}
COMBO = {
    "sub/action.yaml": """\
        name: combo
        inputs:
          name: {default: x}
        outputs:
          shout: {value: "${{ steps.up.outputs.loud }}"}
          greeting: {value: "${{ steps.hi.outputs.greeting }}"}
          hashed: {value: "${{ steps.h.outputs.h }}"}
        runs:
          using: composite
          steps:
            - id: up
              shell: bash
              run: echo "loud=$(echo '${{ inputs.name }}' | tr a-z A-Z)" >> "$GITHUB_OUTPUT"
            - id: hi
              uses: acme/greet@v1
              with:
                who: ${{ steps.up.outputs.loud }}
            - if: ${{ inputs.name == 'never' }}
              shell: sh
              run: exit 1
            - shell: sh
              run: test "$GREETED" = "${{ steps.up.outputs.loud }}" && printf x > marker.txt
            - id: h
              shell: sh
              run: echo "h=${{ hashFiles('**/marker.txt', '!nothing') }}" >> "$GITHUB_OUTPUT"
        """,
}
BOXED = {
    "action.yml": """\
        name: boxed
        inputs:
          word: {default: boxed}
        runs:
          using: docker
          image: docker://alpine:3.20
          entrypoint: sh
          args: ["-c", "echo said=${{ inputs.word }}-$INPUT_WORD >> $GITHUB_OUTPUT"]
        """,
}
DOCKER_SHIM = r"""
import os, re, subprocess, sys
args = sys.argv[1:]
assert args[:2] == ["run", "--rm"], args
i, mounts, env, entry = 2, [], {}, None
while args[i].startswith("--"):
    flag, value = args[i], args[i + 1]
    i += 2
    if flag == "--volume":
        host, ctr = value.rsplit(":", 1)
        mounts.append((ctr, host))
    elif flag == "--env":
        k, v = value.split("=", 1)
        env[k] = v
    elif flag == "--entrypoint":
        entry = value
with open(os.path.join(os.path.dirname(sys.argv[0]), "docker.log"), "a") as log:
    log.write(args[i] + "\n")
def mapped(text):
    for ctr, host in sorted(mounts, key=lambda m: -len(m[0])):
        text = re.sub(re.escape(ctr) + r"(?=$|/|[^\w.-])", host, text)
    return text
env = {k: mapped(v) for k, v in env.items()}
sys.exit(subprocess.run([mapped(a) for a in [entry, *args[i + 1:]]], env={**os.environ, **env}).returncode)
"""


def _workflow(*calls: tuple[str, str]) -> str:
    steps = "".join(
        f"""
    - - name: {name}
        templateRef: {{name: github-action, template: run, clusterScope: true}}
        arguments:
          parameters:
          - {{name: action, value: {action}}}
          - {{name: git-base-url, value: "{{{{workflow.parameters.base}}}}"}}
          - {{name: job, value: jobs/build}}
          - {{name: inputs, value: "{inputs}"}}"""
        for name, action, inputs in calls
    )
    return f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: actions}}
spec:
  entrypoint: main
  arguments: {{parameters: [{{name: base}}]}}
  volumes: [{{name: workspace, emptyDir: {{}}}}]
  templates:
  - name: main
    steps:{steps}
"""


@pytest.fixture
def actions(tmp_path: Path) -> Path:
    root = tmp_path / "actions"
    _repo(root, "acme/greet", GREET)
    _repo(root, "acme/combo", COMBO, tag="v2")
    _repo(root, "acme/boxed", BOXED)
    return root


def _run(tmp_path: Path, text: str, base: Path, *host_writes: str) -> tuple[int, str]:
    wf = tmp_path / "wf.yaml"
    wf.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        # host processes: the actions' repositories are in the host's /tmp, which a sandboxed pod
        # (the default, auto) does not see: its /tmp is its own
        [
            "run",
            "--runtime",
            "host",
            *host_writes,
            str(wf),
            "--with",
            str(LIBRARY),
            "-p",
            f"base={base.as_uri()}",
            "-o",
            "json",
        ],
    )
    return result.exit_code, result.output


@needs_node
def test_node_and_composite_actions_run_from_git(tmp_path: Path, actions: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = _workflow(
        ("combo", "acme/combo/sub@v2", "name=bob"),
        ("greet", "acme/greet@v1", "who=ann\\nthe place=Paris"),
    )
    code, output = _run(tmp_path, text, actions)
    assert code == 0, output
    status = json.loads(output)["status"]["nodes"]
    outputs = {
        n["displayName"]: {p["name"]: p["value"] for p in n["outputs"]["parameters"]}
        for n in status.values()
        if n["type"] == "Pod"
    }
    hashed = hashlib.sha256(hashlib.sha256(b"x").digest()).hexdigest()  # GitHub's hashFiles()
    assert json.loads(outputs["combo"]["outputs"]) == {
        "shout": "BOB",
        "greeting": "hello BOB",
        "hashed": hashed,
    }
    greet = json.loads(outputs["greet"]["outputs"])
    assert greet == {"greeting": "hello ann", "seen": "Paris/yes", "legacy": "old style"}
    assert outputs["greet"]["env"] == "GREETED=ann"


@needs_node
def test_a_failing_action_fails_the_step_with_its_reason(tmp_path: Path, actions: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = _run(tmp_path, _workflow(("missing", "acme/greet/nowhere@v1", "")), actions)
    assert code == 1
    nodes = json.loads(output)["status"]["nodes"].values()
    assert [n["phase"] for n in nodes if n["type"] == "Pod"] == ["Failed"]


def test_docker_actions_run_their_image(tmp_path: Path, actions: Path, monkeypatch) -> None:
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "docker").write_text(f"#!{sys.executable}\n{DOCKER_SHIM}", encoding="utf-8")
    (shims / "docker").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    # the fake docker is a host program that records its image in the host's folder
    boxed = _workflow(("boxed", "acme/boxed@v1", "word=hi"))
    code, output = _run(tmp_path, boxed, actions, "--allow-host-writes")
    assert code == 0, output
    assert (shims / "docker.log").read_text(encoding="utf-8").split() == ["alpine:3.20"]
    assert '\\"said\\": \\"hi-hi\\"' in output, output


def test_unknown_public_actions_classify_as_generic_and_rules_still_win() -> None:
    rules = load_rules()
    assert rules.action("actions/checkout@v4").verdict == "known"  # type: ignore[union-attr]
    rule = rules.action("codecov/codecov-action@v4.1.0")
    assert rule is not None and rule.verdict == "generic"
    assert rule.steps[0].template == "github-action/run"
    assert "codecov/codecov-action@v4.1.0" in rule.note
    assert generic_rule("./local") is None and generic_rule("docker://alpine:3") is None
    assert generic_rule("owner/repo") is None  # no ref: not something GitHub runs either


CONVERTED = """\
name: CI
on: [push]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: first
        run: echo "name=${GITHUB_REPOSITORY}" >> "$GITHUB_OUTPUT"
      - id: greet
        uses: acme/greet@v1
        with:
          who: ${{ steps.first.outputs.name }}
          token: ${{ secrets.GREET_TOKEN }}
      - run: test "$GREETED" = "${{ steps.first.outputs.name }}" && echo "got ${{ steps.greet.outputs.greeting }}"
      - run: test "${{ steps.greet.outputs.token }}" = from-the-secret
"""


@needs_node
def test_a_converted_workflow_runs_an_action_without_a_rule(
    tmp_path: Path, actions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """convert, then run with the local engine: inputs from earlier steps, GITHUB_ENV and outputs after."""
    import yaml

    from wfsync.commands.convert import checkout_source, localize
    from wfsync.convert.gha.runcontext import RunContext

    source = tmp_path / "src"
    (source / ".github" / "workflows").mkdir(parents=True)
    (source / ".github" / "workflows" / "ci.yml").write_text(CONVERTED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app, ["convert", "github-actions", str(source / ".github/workflows/ci.yml"), "--out-dir", "argo"]
    )
    assert "acme/greet@v1: 1" in result.stdout  # listed with the ref that will be fetched
    assert "unknown          0" in result.stdout
    assert "GREET_TOKEN: 1" in result.stdout  # a key of the Secret github-secrets to create
    document = yaml.safe_load((tmp_path / "argo" / "ci.yaml").read_text(encoding="utf-8"))
    (tmp_path / "checkout").mkdir()
    context = RunContext(secrets={"GREET_TOKEN": "from-the-secret"})
    document = localize(document, checkout_source(source, tmp_path / "checkout"), "push", context)
    calls = [
        s
        for t in document["spec"]["templates"]
        for group in t.get("steps") or []
        for s in group
        if (s.get("templateRef") or {}).get("name") == "github-action"
    ]
    assert len(calls) == 1
    parameters = {p["name"]: p["value"] for p in calls[0]["arguments"]["parameters"]}
    assert "token=$GREET_TOKEN" in parameters["inputs"] and parameters["secret-env"] == "github-secrets"
    calls[0]["arguments"]["parameters"].append({"name": "git-base-url", "value": actions.as_uri()})
    (tmp_path / "local.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    library = LIBRARY.parent
    # host processes: the repositories are in the host's /tmp (a sandboxed pod's /tmp is its own)
    run = CliRunner().invoke(
        app, ["run", "--runtime", "host", "local.yaml", "--with", str(library), "--logs"]
    )
    assert run.exit_code == 0, run.output
    assert "got hello OWNER/REPO" in run.stdout

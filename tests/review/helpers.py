"""Real git repositories for review tests: a library committed as the base, edited as the head."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from wfsync.cli.app import app

CONFIG = """\
library: library
libraryId: demo
targets:
  local:
    type: embedded
    namespace: ci
  kube:
    type: kubernetes
    kubeconfig: kubeconfig
    namespace: ci
    allowedContexts: [wfsync-test]
"""
BUILD = """\
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: build
  labels:
    wfsync.io/version: "1.2.3" # bumped by hand
  annotations:
    workflows.argoproj.io/description: Build things.
spec:
  templates:
    - name: main
      inputs:
        parameters:
          - name: msg
          - name: level
            default: info
            enum: [debug, info, warn]
        artifacts:
          - name: src
            optional: true
      outputs:
        parameters:
          - name: digest
            valueFrom:
              path: /tmp/digest
      container:
        image: alpine:3.19
        command: [sh, -c]
        args: ["echo {{inputs.parameters.msg}} > /tmp/digest"]
    - name: lint
      script:
        image: python:3.12
        source: |
          print("lint")
          print("done")
"""
CI = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: ci
  labels:
    wfsync.io/version: "1.0.0"
spec:
  entrypoint: run
  templates:
    - name: run
      dag:
        tasks:
          - name: build
            templateRef:
              name: build
              template: main
              clusterScope: true
            arguments:
              parameters:
                - name: msg
                  value: hello
          - name: lint
            depends: build
            templateRef:
              name: build
              template: lint
              clusterScope: true
    - name: other
      container:
        image: alpine:3.19
"""
FIXED_DATE = "2026-01-01T00:00:00+00:00"


def git(repo: Path, *args: str) -> str:
    """Run git with fixed dates, so commit ids (and goldens that show them) are stable."""
    env = {**os.environ, "GIT_AUTHOR_DATE": FIXED_DATE, "GIT_COMMITTER_DATE": FIXED_DATE}
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env)
    return done.stdout.strip()


def make_repo(root: Path, files: dict[str, str] | None = None) -> Path:
    """A wfsync repository with ``files`` (default: build and ci) committed on ``main``, tagged ``base``."""
    (root / "library").mkdir(parents=True)
    (root / "wfsync.yaml").write_text(CONFIG)
    (root / ".gitignore").write_text(".wfsync/\nkubeconfig\n")
    for name, text in (files or {"library/build.yaml": BUILD, "library/ci.yaml": CI}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "tag", "base")
    return root


def edit(root: Path, name: str, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) with ``new`` in a file of the repository."""
    path = root / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def wfsync(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; exceptions fail the test."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


MANY = """\
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: {name}
  labels:
    wfsync.io/version: "1.0.0"
  annotations:
    workflows.argoproj.io/description: Template number {i}.
spec:
  templates:
    - name: main
      inputs:
        parameters:
          - name: level
            default: info
            enum: [debug, info, warn]
          - name: target
      dag:
        tasks:
          - name: build
            template: build
            arguments:
              parameters:
                - name: target
                  value: "{{{{inputs.parameters.target}}}}"
          - name: test
            template: test
            depends: build
          - name: publish
            templateRef:
              name: {other}
              template: build
              clusterScope: true
            depends: test
            arguments:
              parameters:
                - name: target
                  value: dist
    - name: build
      inputs:
        parameters:
          - name: target
      outputs:
        parameters:
          - name: digest
            valueFrom:
              path: /tmp/digest
      container:
        image: golang:1.22
        command: [go, build]
        args: ["{{{{inputs.parameters.target}}}}"]
        resources:
          requests:
            cpu: 500m
            memory: 256Mi
    - name: test
      script:
        image: golang:1.22
        source: |
          set -e
          go vet ./...
          go test ./...
"""
CHANGES = (
    ("[debug, info, warn]", "[debug, info]"),  # breaking (enum narrowed)
    ("          - name: target\n      dag:", "          - name: target\n          - name: extra\n            default: x\n      dag:"),  # feature
    ("golang:1.22\n        command", "golang:1.23\n        command"),  # fix (image)
    ("go test ./...", "go test -race ./..."),  # fix (script)
    ("Template number", "The template number"),  # cosmetic
)  # fmt: skip


def many_templates(root: Path, n: int) -> None:
    """``n`` ClusterWorkflowTemplates (a DAG calling two members and the next template) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        name = f"t{i:04d}"
        (root / f"{name}.yaml").write_text(MANY.format(name=name, i=i, other=f"t{(i + 1) % n:04d}"))


def change_all(root: Path, n: int) -> None:
    """Change every template, cycling through breaking, feature, fix and cosmetic edits."""
    for i in range(n):
        path = root / f"t{i:04d}.yaml"
        old, new = CHANGES[i % len(CHANGES)]
        path.write_text(path.read_text().replace(old, new, 1))

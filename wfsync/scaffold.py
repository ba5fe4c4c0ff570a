"""``wfsync init``: the files a new wfsync repository starts with.

The scaffold is data, not a generator: a user reads it and knows what every file is for. It
lints clean (a test checks), and it never overwrites a file that exists.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from wfsync.errors import UsageError

CONFIG = """\
# wfsync configuration: https://github.com/wfsync/wfsync#configuration
# Where the template library lives (WorkflowTemplates and ClusterWorkflowTemplates).
library: library
# Names this library in the ownership labels of everything wfsync pushes.
libraryId: {library_id}
# Where `wfsync push` goes when --target is not given. `local` is the embedded cluster kept
# under .wfsync/ (git-ignored), so every command works without Kubernetes.
defaultTarget: local
targets:
  local:
    type: embedded
# A Kubernetes target names a kubeconfig context and the namespace for WorkflowTemplates:
#  staging:
#    type: kubernetes
#    context: kind-staging
#    namespace: argo
#    allowedContexts: [kind-staging]
#    prune: false
#    confirm: true
lint:
  # Rules to turn off, or to report as warnings only (see `wfsync lint --list-rules`).
  disable: []
  warn: []
"""

EXAMPLE_TEMPLATE = """\
# A first library template. Call it from a Workflow with:
#   templateRef: {name: hello, template: say, clusterScope: true}
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: hello
  labels:
    wfsync.io/version: "0.1.0"
  annotations:
    workflows.argoproj.io/description: Prints a greeting; a starting point for your own templates.
spec:
  templates:
    - name: say
      inputs:
        parameters:
          - name: message
            description: What to print.
            default: hello from wfsync
      container:
        image: busybox:1.36
        command: [echo]
        args: ["{{inputs.parameters.message}}"]
"""

LINT_WORKFLOW = """\
# Lints the template library on every pull request and push.
name: wfsync
on:
  pull_request:
    paths: ["library/**", "wfsync.yaml"]
  push:
    branches: [main]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install wfsync
      - run: wfsync lint -o github
      - run: wfsync fmt --check
"""

GITIGNORE_LINE = ".wfsync/"


@dataclasses.dataclass(frozen=True)
class InitResult:
    """What ``init`` wrote, relative to the target folder."""

    root: Path
    created: tuple[Path, ...]
    updated: tuple[Path, ...]


def scaffold(root: Path, library_id: str) -> InitResult:
    """Create the scaffold in ``root``; refuse (writing nothing) if any file exists."""
    files = {
        Path("wfsync.yaml"): CONFIG.format(library_id=library_id),
        Path("library/hello.yaml"): EXAMPLE_TEMPLATE,
        Path(".github/workflows/wfsync.yaml"): LINT_WORKFLOW,
    }
    existing = [str(p) for p in files if (root / p).exists()]
    if existing:
        raise UsageError(f"refusing to overwrite existing files in {root}: {', '.join(existing)}")
    created: list[Path] = []
    updated: list[Path] = []
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        created.append(rel)
    gitignore = root / ".gitignore"
    if gitignore.exists():
        lines = gitignore.read_text(encoding="utf-8").splitlines()
        if not any(line.strip().rstrip("/") == GITIGNORE_LINE.rstrip("/") for line in lines):
            with gitignore.open("a", encoding="utf-8") as handle:
                handle.write(("\n" if lines and lines[-1] else "") + GITIGNORE_LINE + "\n")
            updated.append(Path(".gitignore"))
    else:
        gitignore.write_text(GITIGNORE_LINE + "\n", encoding="utf-8")
        created.append(Path(".gitignore"))
    return InitResult(root, tuple(created), tuple(updated))

"""``wfsync init``: the files a new wfsync repository starts with.

The scaffold is data, not a generator: a user reads it and knows what every file is for. It
lints clean (a test checks), and it never overwrites a file that exists.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

from wfsync.errors import InputError, UsageError
from wfsync.library.yamlload import read_bounded
from wfsync.safepath import within

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
  # Files or folders `wfsync lint` checks besides the library (workflows that call it), e.g.
  # paths: [workflows/]
  paths: []
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
# Lints the template library, and the folders under lint.paths in wfsync.yaml, on every pull
# request and push.
name: wfsync
on:
  pull_request:
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
{install}
      - run: wfsync lint -o github
      - run: wfsync fmt --check
"""

REVIEW_WORKFLOW = """\
# wfsync review on pull requests that touch the library: one sticky comment (found again by its
# hidden marker and edited), the full report as the wfsync-review artifact, and a failed check
# when a version label does not fit its change (a breaking change without a major bump, ...).
name: wfsync review
on:
  pull_request:
    paths: ["library/**", "wfsync.yaml"]
permissions:
  contents: read
  pull-requests: write
jobs:
  review:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
{install}
      - name: wfsync review
        id: review
        env:
          BASE: ${{ github.event.pull_request.base.sha }}
        run: |
          set +e
          wfsync review --base "$BASE" --head HEAD -o json > wfsync-review.json
          code=$?
          wfsync review --base "$BASE" --head HEAD -o markdown > wfsync-review.md
          set -e
          echo "code=$code" >> "$GITHUB_OUTPUT"
          if [ "$code" -ge 2 ]; then exit "$code"; fi
      - uses: actions/upload-artifact@v4
        with:
          name: wfsync-review
          path: wfsync-review.json
      - uses: actions/github-script@v7
        with:
          script: |
            const body = require("fs").readFileSync("wfsync-review.md", "utf8");
            const { owner, repo } = context.repo;
            const issue_number = context.payload.pull_request.number;
            const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number });
            const mine = comments.find((c) => c.body && c.body.startsWith("<!-- wfsync-review -->"));
            if (mine) await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
            else await github.rest.issues.createComment({ owner, repo, issue_number, body });
      - if: steps.review.outputs.code == '1'
        run: echo "::error::wfsync review found problems (see the comment)" && exit 1
"""

GITIGNORE_LINE = ".wfsync/"


def install_step() -> str:
    """The CI step that installs the wfsync running now, pinned, from where CI can really get it.

    wfsync is not on PyPI, so ``pip install wfsync`` resolves to nothing. What pip recorded about
    this installation (PEP 610 ``direct_url.json``) says where it came from: a git URL and commit
    is pinned as it is; a local checkout whose ``origin`` is a remote is pinned to its current
    commit there. Otherwise the step says what to set instead of failing with a pip error.
    """
    from wfsync import __version__

    source = _git_source()
    if source is not None:
        url, commit, note = source
        return (
            f"      # wfsync {__version__}, pinned to the commit that scaffolded this repository{note}\n"
            f'      - run: pip install "wfsync @ git+{url}@{commit}"'
        )
    return (
        f"      # wfsync {__version__} was installed from a source CI cannot reach, and it is not on PyPI:\n"
        "      # set the repository variable WFSYNC_PIP to a pinned pip requirement, e.g.\n"
        '      # "wfsync @ git+https://github.com/<org>/wfsync@<tag or commit>", or a wheel URL.\n'
        "      - run: |\n"
        '          test -n "${{ vars.WFSYNC_PIP }}" || { echo "::error::set the repository variable WFSYNC_PIP"; exit 1; }\n'
        '          pip install "${{ vars.WFSYNC_PIP }}"'
    )


def _git_source() -> tuple[str, str, str] | None:
    """``(git URL, commit, note)`` this wfsync can be installed from again, if there is one."""
    from importlib import metadata

    try:
        recorded = json.loads(metadata.distribution("wfsync").read_text("direct_url.json") or "null")
    except (metadata.PackageNotFoundError, ValueError):
        return None
    if not isinstance(recorded, dict) or not isinstance(recorded.get("url"), str):
        return None
    vcs = recorded.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id"):
        return recorded["url"], str(vcs["commit_id"]), ""
    if not recorded["url"].startswith("file://"):
        return None
    folder = Path(recorded["url"].removeprefix("file://"))

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=False)
        except OSError:
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    origin, commit = git("remote", "get-url", "origin"), git("rev-parse", "HEAD")
    if not origin or not commit or origin.startswith(("/", "file:", ".")):
        return None
    return origin, commit, f" ({folder}): push that commit (or pin a tag) to {origin}"


@dataclasses.dataclass(frozen=True)
class InitResult:
    """What ``init`` wrote, relative to the target folder."""

    root: Path
    created: tuple[Path, ...]
    updated: tuple[Path, ...]


def scaffold(root: Path, library_id: str, *, with_library: bool = True) -> InitResult:
    """Create the scaffold in ``root``; refuse (writing nothing) if any file exists.

    Every file is checked before any is written: one that exists (a dangling symlink counts) is
    never overwritten, and a symlink that would take a file out of ``root`` (``library`` -> a
    folder elsewhere, ``.gitignore`` -> a file elsewhere) is refused, so ``init`` only ever
    writes inside the folder it was given.
    """
    files = {
        Path("wfsync.yaml"): CONFIG.format(library_id=library_id),
        Path("library/hello.yaml"): EXAMPLE_TEMPLATE,
        Path(".github/workflows/wfsync.yaml"): LINT_WORKFLOW.replace("{install}", install_step()),
        Path(".github/workflows/wfsync-review.yaml"): REVIEW_WORKFLOW.replace("{install}", install_step()),
    }
    if with_library:  # converted pipelines call these (shell, git-checkout, cache, ...)
        from wfsync.library.standard import standard

        for family in sorted(standard().values(), key=lambda f: f.path.name):
            files[Path("library") / family.path.name] = family.path.read_text(encoding="utf-8")
    targets = {rel: within(root, rel.as_posix(), what="init") for rel in [*files, Path(".gitignore")]}
    existing = [str(p) for p in files if targets[p].exists() or targets[p].is_symlink()]
    if existing:
        raise UsageError(f"refusing to overwrite existing files in {root}: {', '.join(existing)}")
    gitignore = targets[Path(".gitignore")]
    ignore_lines: list[bytes] | None = None
    if gitignore.exists() or gitignore.is_symlink():
        try:  # bytes: a .gitignore need not be UTF-8; bounded: it may be a FIFO
            ignore_lines = read_bounded(gitignore).splitlines()
        except OSError as err:
            raise InputError(f"cannot read: {err.strerror or err}", path=gitignore) from None
    created: list[Path] = []
    updated: list[Path] = []
    for rel, text in files.items():
        _write(targets[rel], text.encode())
        created.append(rel)
    line = GITIGNORE_LINE.encode()
    if ignore_lines is None:
        _write(gitignore, line + b"\n")
        created.append(Path(".gitignore"))
    elif not any(x.strip().rstrip(b"/") == line.rstrip(b"/") for x in ignore_lines):
        _write(gitignore, (b"\n" if ignore_lines and ignore_lines[-1] else b"") + line + b"\n", append=True)
        updated.append(Path(".gitignore"))
    return InitResult(root, tuple(created), tuple(updated))


def _write(target: Path, data: bytes, *, append: bool = False) -> None:
    """Write (or append) ``data``, its folders made first; a failure names the file."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("ab" if append else "xb") as handle:
            handle.write(data)
    except OSError as err:
        raise InputError(f"cannot write: {err.strerror or err}", path=target) from None

"""The error contract, swept over every command with hostile input.

Each case builds a small world in a temporary folder: a wfsync repository (``repo``, a git
repository whose library was pushed to the embedded target), a sibling ``outside`` folder that
traversal payloads aim at, and the ``home`` and ``tmp`` folders the command is given. One
command then runs on one hostile input, and the case asserts:

- the exit code of the contract (2 unreadable or invalid input, 1 lint findings, 3 could not
  complete);
- a message naming the input (the file, option, ref or target), and no traceback and no
  "internal error";
- nothing written outside the repository: every file of the world outside ``repo`` (and one
  absolute path under /tmp that deep traversals aim at) is the same, with the same mtime, after;
- the embedded store under ``repo/.wfsync/cluster`` still consistent: every object file parses;
- a time limit: a hang is a failure, never a stuck suite.

Every case runs the console entry point (``main``, so the CLI's own error mapping is what is
tested) in a forked child of this warm interpreter: it starts in milliseconds, a hang is killed
after ``TIMEOUT`` seconds (a failure, never a stuck suite), and a crash or a memory blow-up on
hostile input ends only the child.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, FIFOs, /dev/zero (Linux)")

TIMEOUT = 10
ESCAPE_SENTINEL = Path(tempfile.gettempdir()) / f"wfsync-sweep-escape-{uuid.uuid4().hex[:8]}"
"""An absolute path deep traversals aim at: it must never come to exist."""

CONFIG = """\
library: library
libraryId: sweep
targets:
  local:
    type: embedded
    namespace: ci
  kube:
    type: kubernetes
    kubeconfig: kubeconfig
    namespace: ci
    allowedContexts: [unreachable]
"""
KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: unreachable
clusters:
  - name: unreachable
    cluster: {server: "https://127.0.0.1:9"}
contexts:
  - name: unreachable
    context: {cluster: unreachable, user: nobody}
users:
  - name: nobody
    user: {token: not-a-real-token}
"""
GOOD = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: good
  labels:
    wfsync.io/version: "1.0.0"
spec:
  templates:
    - name: main
      container:
        image: alpine:3
        command: [echo, hi]
"""
WORKFLOW_HEAD = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: hostile
spec:
  entrypoint: main
  templates:
"""


# -- hostile inputs -----------------------------------------------------------------------------


def _template(name: str, extra: str = "", namespace: str | None = None) -> str:
    ns = f"\n  namespace: {json.dumps(namespace)}" if namespace is not None else ""
    return (
        f'apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: {name}{ns}\n  labels:\n    wfsync.io/version: "1.0.0"\n'
        f"spec:\n  templates:\n    - name: main\n      container:\n        image: alpine:3\n{extra}"
    )


def bomb_lines(indent: str) -> str:
    """A billion-laughs mapping (nine levels of nine aliases: 9^9 strings once expanded)."""
    levels = [f'{indent}a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join(f"*a{i - 1}" for _ in range(9))
        levels.append(f"{indent}a{i}: &a{i} [{refs}]")
    return "\n".join(levels) + "\n"


def alias_bomb() -> str:
    """A 1 KB bomb in a free-form field (``plugin:``), not at the top level."""
    return (
        WORKFLOW_HEAD.replace("kind: Workflow", "kind: WorkflowTemplate")
        + "    - name: main\n      plugin:\n"
        + bomb_lines("        ")
    )


def deep_nesting(depth: int = 10_000) -> str:
    """A template whose one field nests ``depth`` lists deep."""
    return _template("deep", f"        args: {'[' * depth}{']' * depth}\n")


BAD_YAML = "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: [bad\n  spec: : :\n"
NON_UTF8 = b"apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: caf\xe9\xff\xfe\n"
TRAVERSAL_NS = "../../../../../outside"
"""From ``repo/.wfsync/cluster/objects/<plural>/``, five levels up is the world: ``outside``."""


def artifact_escape_workflow() -> str:
    """A raw input artifact whose path climbs out of the pod's folder onto ``outside/victim``."""
    return WORKFLOW_HEAD + textwrap.indent(
        textwrap.dedent(
            """\
            - name: main
              inputs:
                artifacts:
                  - name: a
                    path: /tmp/../../../OUTSIDE/victim
                    raw: {data: "overwritten"}
              container:
                image: alpine:3
                command: [sh, -c, "ls /tmp"]
            """
        ),
        "    ",
    )


def resource_escape_workflow() -> str:
    """A resource template that creates an object in a traversal namespace of the embedded target."""
    manifest = _template("made-by-run", namespace=TRAVERSAL_NS)
    workflow = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "hostile"},
        "spec": {
            "entrypoint": "main",
            "templates": [{"name": "main", "resource": {"action": "create", "manifest": manifest}}],
        },
    }
    return json.dumps(workflow, indent=2)


SUSPEND_WORKFLOW = WORKFLOW_HEAD + "    - {name: main, suspend: {duration: '0'}}\n"


def gha_workflow(uses: str) -> str:
    return textwrap.dedent(
        f"""\
        name: ci
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: {uses}
        """
    )


OUTSIDE_ACTION = textwrap.dedent(
    """\
    name: outside
    runs:
      using: composite
      steps:
        - run: echo OUTSIDE-ACTION-WAS-INLINED
          shell: bash
    """
)


# -- the world ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class World:
    root: Path
    immutable: list[Path] = dataclasses.field(default_factory=list)
    """Files made immutable (``chattr +i``: even root cannot write them), undone after the case."""

    @property
    def repo(self) -> Path:
        return self.root / "repo"

    @property
    def outside(self) -> Path:
        return self.root / "outside"

    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def fifo(self, rel: str) -> Path:
        path = self.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
        return path

    def make_immutable(self, rel: str) -> None:
        path = self.repo / rel
        try:
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
        except FileNotFoundError:
            done = False
        if not done:
            pytest.skip("chattr +i is not available here (a file root cannot write is needed)")
        self.immutable.append(path)

    def symlink(self, rel: str, target: str | Path) -> Path:
        path = self.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
        return path


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One world, built and pushed once; every case works on a copy."""
    _warm()
    root = tmp_path_factory.mktemp("world")
    world = World(root)
    for folder in ("repo", "outside", "home", "tmp"):
        (root / folder).mkdir()
    (world.outside / "victim").mkdir()
    (world.outside / "victim" / "keep.txt").write_text("must survive\n")
    (world.outside / "secret.txt").write_text("outside the repository\n")
    (world.outside / "action").mkdir()
    (world.outside / "action" / "action.yml").write_text(OUTSIDE_ACTION)
    world.write("wfsync.yaml", CONFIG)
    world.write("kubeconfig", KUBECONFIG)
    world.write("library/good.yaml", GOOD)
    world.write(".gitignore", ".wfsync/\n")
    env = {**_env(world), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t.invalid"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "library"]):
        subprocess.run(["git", *args], cwd=world.repo, check=True, capture_output=True, env=env)
    proc = subprocess.run(
        [sys.executable, "-m", "wfsync", "push", "--yes"],
        cwd=world.repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _store_objects(world.repo), "the template world has no pushed objects"
    return root


def _env(world: World) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "KUBE", "WFSYNC_"))}
    return {
        **keep,
        "HOME": str(world.root / "home"),
        "TMPDIR": str(world.root / "tmp"),
        "KUBECONFIG": str(world.root / "home" / "no-kubeconfig"),
        "GIT_CONFIG_GLOBAL": str(world.root / "home" / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "NO_COLOR": "1",
        "COLUMNS": "400",
    }


def _snapshot(root: Path, skip: Path) -> dict[str, tuple[str, int, int]]:
    """Every entry under ``root`` except ``skip``: kind, size and mtime (links are not followed)."""
    out: dict[str, tuple[str, int, int]] = {}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if here == skip:
            dirs[:] = []
            continue
        for name in dirs + files:
            path = here / name
            if path == skip:
                continue
            st = path.lstat()
            kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
            size = 0 if kind == "dir" else st.st_size
            out[str(path.relative_to(root))] = (kind, size, st.st_mtime_ns if kind != "dir" else 0)
    return out


def _store_objects(repo: Path) -> list[Path]:
    return sorted((repo / ".wfsync" / "cluster" / "objects").rglob("*.json"))


def _store_health(repo: Path) -> dict[str, bool]:
    """Per object file of the embedded store (and its counter): whether it parses as it should."""
    store = repo / ".wfsync" / "cluster"
    out: dict[str, bool] = {}
    for path in [*_store_objects(repo), store / "state.json"]:
        if not path.exists():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            out[str(path)] = False
            continue
        named = path.name == "state.json" or data.get("metadata", {}).get("name") == path.stem
        inside = path.resolve().is_relative_to(store.resolve())
        out[str(path)] = isinstance(data, dict) and named and inside
    return out


def _assert_store_consistent(before: dict[str, bool], after: dict[str, bool]) -> None:
    """Every object file parses, except one the case itself broke (and it must not spread)."""
    broken = [path for path, ok in after.items() if not ok and before.get(path, True)]
    assert not broken, f"the embedded store is no longer consistent: {broken}"


# -- running a command ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Outcome:
    code: int
    output: str
    hung: bool = False


def _warm() -> None:
    """Import what the commands import, once, so that each forked case starts at once."""
    import importlib

    for module in (
        "wfsync.cli.app",
        "wfsync.commands.diff",
        "wfsync.commands.push",
        "wfsync.commands.status",
        "wfsync.commands.run",
        "wfsync.commands.convert",
        "wfsync.commands.fmt",
        "wfsync.commands.lint",
        "wfsync.commands.init",
        "wfsync.cluster.kubernetes",
    ):
        with contextlib.suppress(ImportError):
            importlib.import_module(module)


def _forked(argv: list[str], cwd: Path, world: World) -> Outcome:
    """Run ``wfsync ARGV`` through the console entry point in a forked child, killed after TIMEOUT.

    A fork of this (already warm) interpreter starts in milliseconds where ``python -m wfsync``
    takes most of a second, and it is still a process of its own: a hang is killed, a crash or a
    memory blow-up ends only the child, and its exit code is the one ``main`` gives.
    """
    from wfsync.cli.app import main

    log = world.root.parent / "output.txt"  # beside the world: not part of what is watched
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 70
        try:
            os.setsid()
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
            os.environ.clear()
            os.environ.update(_env(world))
            tempfile.tempdir = str(world.root / "tmp")
            os.chdir(cwd)
            sys.argv = ["wfsync", *argv]
            try:
                main()
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except BaseException as err:  # noqa: BLE001 - anything main let through is a failure to show
            import traceback

            sys.stderr.write("Traceback (escaped main):\n" + "".join(traceback.format_exception(err)))
            code = 70
        finally:
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    deadline = time.monotonic() + TIMEOUT
    hung = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            hung = True
            _kill_session(pid)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.005)
    code = os.waitstatus_to_exitcode(status)
    output = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    if code < 0:
        output += f"\n[killed by signal {-code}]"
    return Outcome(code, output, hung)


def _kill_session(sid: int) -> None:
    """Kill the child, its descendants (pods may have sessions of their own) and its session."""
    parents: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = (int(fields[1]), int(fields[3]))
    doomed = {sid} | {pid for pid, (_, session) in parents.items() if session == sid}
    grown = True
    while grown:
        more = {pid for pid, (ppid, _) in parents.items() if ppid in doomed} - doomed
        doomed |= more
        grown = bool(more)
    for pid in doomed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# -- the cases ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]
    setup: Callable[[World], None]
    code: int | tuple[int, ...]
    names: str
    """Text the output must contain: the file, option, ref or target at fault."""
    cwd: str = "repo"
    check: Callable[[World, str], None] | None = None
    """More assertions on the world and the output after the command."""


def _nothing(world: World) -> None:
    pass


def _lib(rel: str, content: str | bytes) -> Callable[[World], None]:
    return lambda w: [w.write(rel, content), None][1]


def _fifo(rel: str) -> Callable[[World], None]:
    return lambda w: [w.fifo(rel), None][1]


def _link(rel: str, target: str) -> Callable[[World], None]:
    return lambda w: [w.symlink(rel, target), None][1]


def _loop(rel: str) -> Callable[[World], None]:
    return lambda w: [w.symlink(rel, Path(rel).name), None][1]


def _huge(rel: str) -> Callable[[World], None]:
    # a valid template followed by 5 MiB of comment: over any sane size bound
    return lambda w: [
        w.write(rel, GOOD.replace("good", "huge") + ("#" + "x" * 1023 + "\n") * 5 * 1024),
        None,
    ][1]


def _config(content: str | bytes) -> Callable[[World], None]:
    return lambda w: [w.write("wfsync.yaml", content), None][1]


def _traversal(w: World) -> None:
    w.write("library/evil.yaml", _template("evil", namespace=TRAVERSAL_NS))
    w.write(
        "library/evil-deep.yaml",
        _template("evil-deep", namespace=f"../../../../../../../../../../{ESCAPE_SENTINEL}"),
    )


def _artifact_escape(w: World) -> None:
    w.write("artifact.yaml", artifact_escape_workflow().replace("OUTSIDE", str(w.outside).lstrip("/")))


def _artifact_escape_lint(w: World) -> None:
    w.write(
        "library/artifact.yaml",
        artifact_escape_workflow().replace("kind: Workflow", "kind: WorkflowTemplate"),
    )


def _gha(uses: str) -> Callable[[World], None]:
    def setup(w: World) -> None:
        w.write(".github/workflows/ci.yml", gha_workflow(uses))

    return setup


def _resume_escape(w: World) -> None:
    # a folder outside the repository that looks like a live run (its pid is this process)
    target = w.outside / "run"
    target.mkdir()
    (target / "pid").write_text(str(os.getpid()))


def _outside_untouched(w: World, output: str) -> None:
    assert (w.outside / "victim" / "keep.txt").read_text() == "must survive\n"


def _no_outside_content(w: World, output: str) -> None:
    assert "root:x:0:0" not in output, "the content of /etc/passwd was printed"
    assert "OUTSIDE-ACTION-WAS-INLINED" not in output
    assert "successful" not in output.split("Workflows:")[0], output


def _run_with_fifo(w: World) -> None:
    w.write("w.yaml", SUSPEND_WORKFLOW)
    w.fifo("f.yaml")


def _init_symlinks(w: World) -> None:
    fresh = w.root / "fresh"
    fresh.mkdir()
    (fresh / "wfsync.yaml").symlink_to(w.outside / "planted-config.yaml")  # dangling: would be created
    (fresh / "library").symlink_to(w.outside)


def _init_gitignore_link(w: World) -> None:
    fresh = w.root / "fresh"
    fresh.mkdir()
    (fresh / ".gitignore").symlink_to(w.outside / "secret.txt")


def _init_gitignore_binary(w: World) -> None:
    fresh = w.root / "fresh"
    fresh.mkdir()
    (fresh / ".gitignore").write_bytes(b"\xff\xfe\x00bin\n")


def _unwritable(w: World) -> None:
    # needs formatting (4-space indents), and cannot be written, even by root
    w.write("ugly.yaml", GOOD.replace("  ", "    "))
    w.make_immutable("ugly.yaml")


def _library_symlink_out(w: World) -> None:
    shutil.rmtree(w.repo / "library")
    (w.outside / "good.yaml").write_text(GOOD)
    w.symlink("library", w.outside)


def _config_fifo(w: World) -> None:
    (w.repo / "wfsync.yaml").unlink()
    w.fifo("wfsync.yaml")


def _corrupt_store(w: World) -> None:
    objects = _store_objects(w.repo)
    objects[0].write_text('{"kind": "WorkflowTemplate", "metadata": {"name": ', encoding="utf-8")


def _run_parameter_fifo(w: World) -> None:
    w.write("w.yaml", SUSPEND_WORKFLOW)
    w.fifo("p.yaml")


def _gha_symlink_out(w: World) -> None:
    w.symlink("actions/shared", w.outside / "action")
    w.write(".github/workflows/ci.yml", gha_workflow("./actions/shared"))


def _init_gitignore_fifo(w: World) -> None:
    fresh = w.root / "fresh"
    fresh.mkdir()
    os.mkfifo(fresh / ".gitignore")


def _gitignore_kept(w: World, output: str) -> None:
    assert (w.outside / "secret.txt").read_text() == "outside the repository\n"


BAD_REF = "0000000000000000000000000000000000000000"
UNREACHABLE = "127.0.0.1:9"
"""The kube target's server: the message names the cluster it could not reach."""
W = "library/"

CASES = [
    # lint: a problem in a file it checks is a finding (1); arguments it cannot use at all are 2
    Case("lint-bad-yaml", ["lint"], _lib(W + "bad.yaml", BAD_YAML), 1, "bad.yaml"),
    Case("lint-alias-bomb", ["lint"], _lib(W + "bomb.yaml", alias_bomb()), 1, "bomb.yaml"),
    Case("lint-fifo", ["lint"], _fifo(W + "fifo.yaml"), 1, "fifo.yaml"),
    Case("lint-fifo-explicit", ["lint", "x.yaml"], _fifo("x.yaml"), 1, "x.yaml"),
    Case("lint-dev-zero", ["lint"], _link(W + "zero.yaml", "/dev/zero"), 1, "zero.yaml"),
    Case("lint-symlink-loop", ["lint"], _loop(W + "loop.yaml"), 1, "loop.yaml"),
    Case("lint-non-utf8", ["lint"], _lib(W + "latin.yaml", NON_UTF8), 1, "latin.yaml"),
    Case("lint-huge", ["lint"], _huge(W + "huge.yaml"), 1, "huge.yaml"),
    Case("lint-deep", ["lint"], _lib(W + "deep.yaml", deep_nesting()), 1, "deep.yaml"),
    Case("lint-traversal-namespace", ["lint"], _traversal, 1, "evil.yaml"),
    Case("lint-artifact-dotdot", ["lint"], _artifact_escape_lint, 1, "artifact.yaml"),
    Case(
        "lint-library-symlink-out", ["lint"], _link(W + "out.yaml", "../../outside/secret.txt"), 1, "out.yaml"
    ),
    Case("lint-config-non-utf8", ["lint"], _config(b"library: lib\xff\xfe\n"), 2, "wfsync.yaml"),
    Case("lint-unknown-option", ["lint", "--bogus"], _nothing, 2, "--bogus"),
    Case("lint-missing-path", ["lint", "missing.yaml"], _nothing, 2, "missing.yaml"),
    # fmt: a file it cannot read or parse is unreadable input (2), never a crash
    Case("fmt-bad-yaml", ["fmt", "bad.yaml"], _lib("bad.yaml", BAD_YAML), 2, "bad.yaml"),
    Case("fmt-alias-bomb", ["fmt", "bomb.yaml"], _lib("bomb.yaml", alias_bomb()), 2, "bomb.yaml"),
    Case(
        "fmt-check-alias-bomb",
        ["fmt", "--check", "bomb.yaml"],
        _lib("bomb.yaml", alias_bomb()),
        2,
        "bomb.yaml",
    ),
    Case("fmt-deep", ["fmt", "deep.yaml"], _lib("deep.yaml", deep_nesting()), 2, "deep.yaml"),
    Case("fmt-fifo", ["fmt", "x.yaml"], _fifo("x.yaml"), 2, "x.yaml"),
    Case(
        "fmt-check-dev-zero",
        ["fmt", "--check", "z.yaml"],
        _link("z.yaml", "/dev/zero"),
        2,
        "z.yaml",
    ),
    Case("fmt-non-utf8", ["fmt", "latin.yaml"], _lib("latin.yaml", NON_UTF8), 2, "latin.yaml"),
    Case("fmt-symlink-loop", ["fmt", "loop.yaml"], _loop("loop.yaml"), 2, "loop.yaml"),
    Case("fmt-library-bad-yaml", ["fmt", "--check"], _lib(W + "bad.yaml", BAD_YAML), 2, "bad.yaml"),
    Case("fmt-unknown-option", ["fmt", "--bogus"], _nothing, 2, "--bogus"),
    Case("fmt-cannot-write", ["fmt", "ugly.yaml"], _unwritable, 2, "ugly.yaml"),
    # diff: an unreadable or invalid library is input error (2); an unreachable cluster is 3
    Case("diff-bad-yaml", ["diff"], _lib(W + "bad.yaml", BAD_YAML), 2, "bad.yaml"),
    Case("diff-alias-bomb", ["diff"], _lib(W + "bomb.yaml", alias_bomb()), 2, "bomb.yaml"),
    Case("diff-deep", ["diff"], _lib(W + "deep.yaml", deep_nesting()), 2, "deep.yaml"),
    Case("diff-fifo", ["diff"], _fifo(W + "fifo.yaml"), 2, "fifo.yaml"),
    Case("diff-traversal-namespace", ["diff"], _traversal, 2, "evil"),
    Case("diff-bad-ref", ["diff", "--ref", BAD_REF], _nothing, 2, BAD_REF),
    Case("diff-unknown-ref", ["diff", "--ref", "no-such-branch"], _nothing, 2, "no-such-branch"),
    Case("diff-config-non-utf8", ["diff"], _config(b"library: lib\xff\xfe\n"), 2, "wfsync.yaml"),
    Case("diff-unknown-target", ["diff", "--target", "nope"], _nothing, 2, "nope"),
    Case("diff-unreachable-kube", ["diff", "--target", "kube"], _nothing, 3, UNREACHABLE),
    # push: any lint error means nothing is written (1)
    Case("push-traversal-namespace", ["push", "--yes"], _traversal, 1, "evil.yaml"),
    Case("push-alias-bomb", ["push", "--yes"], _lib(W + "bomb.yaml", alias_bomb()), 1, "bomb.yaml"),
    Case("push-bad-yaml", ["push", "--yes"], _lib(W + "bad.yaml", BAD_YAML), 1, "bad.yaml"),
    Case("push-fifo", ["push", "--yes"], _fifo(W + "fifo.yaml"), 1, "fifo.yaml"),
    Case("push-symlink-loop", ["push", "--yes"], _loop(W + "loop.yaml"), 1, "loop.yaml"),
    Case("push-bad-ref", ["push", "--yes", "--ref", BAD_REF], _nothing, 2, BAD_REF),
    Case("push-unreachable-kube", ["push", "--yes", "--target", "kube"], _nothing, 3, UNREACHABLE),
    Case("push-unknown-option", ["push", "--bogus"], _nothing, 2, "--bogus"),
    # status
    Case("status-unreachable-kube", ["status", "--target", "kube"], _nothing, 3, UNREACHABLE),
    Case("status-config-non-utf8", ["status"], _config(b"library: lib\xff\xfe\n"), 2, "wfsync.yaml"),
    Case("status-bad-yaml", ["status"], _lib(W + "bad.yaml", BAD_YAML), 2, "bad.yaml"),
    Case("status-traversal-namespace", ["status"], _traversal, 2, "evil"),
    # convert github-actions: the workflow and what it points at are not trusted
    Case(
        "convert-bad-yaml",
        ["convert", "github-actions", "w.yml"],
        _lib("w.yml", "on: push\njobs: {build: [\n"),
        2,
        "w.yml",
    ),
    Case(
        "convert-alias-bomb",
        ["convert", "github-actions", "w.yml"],
        _lib("w.yml", alias_bomb()),
        2,
        "w.yml",
    ),
    Case("convert-fifo", ["convert", "github-actions", "w.yml"], _fifo("w.yml"), 2, "w.yml"),
    Case("convert-non-utf8", ["convert", "github-actions", "w.yml"], _lib("w.yml", NON_UTF8), 2, "w.yml"),
    Case(
        "convert-uses-outside-repo",
        ["convert", "github-actions", ".github/workflows/ci.yml"],
        _gha("./../outside/action"),
        2,
        "ci.yml",
        check=_no_outside_content,
    ),
    Case(
        "convert-uses-etc-passwd",
        ["convert", "github-actions", ".github/workflows/ci.yml"],
        _gha("./.github/workflows/../../../../../../../../etc/passwd"),
        2,
        "ci.yml",
        check=_no_outside_content,
    ),
    Case("convert-unknown-option", ["convert", "github-actions", "--bogus"], _nothing, 2, "--bogus"),
    # run: an unreadable or invalid workflow is 2, before any pod starts
    Case("run-bad-yaml", ["run", "w.yaml"], _lib("w.yaml", BAD_YAML), 2, "w.yaml"),
    Case("run-alias-bomb", ["run", "w.yaml"], _lib("w.yaml", alias_bomb()), 2, "w.yaml"),
    Case("run-fifo", ["run", "w.yaml"], _fifo("w.yaml"), 2, "w.yaml"),
    Case("run-dev-zero", ["run", "w.yaml"], _link("w.yaml", "/dev/zero"), 2, "w.yaml"),
    Case("run-non-utf8", ["run", "w.yaml"], _lib("w.yaml", NON_UTF8), 2, "w.yaml"),
    Case("run-deep", ["run", "w.yaml"], _lib("w.yaml", deep_nesting()), 2, "w.yaml"),
    Case("run-symlink-loop", ["run", "w.yaml"], _loop("w.yaml"), 2, "w.yaml"),
    Case(
        "run-artifact-dotdot",
        ["run", "artifact.yaml"],
        _artifact_escape,
        2,
        "artifact.yaml",
        check=_outside_untouched,
    ),
    # the manifest is only known at run time in general: the node fails (1) or the run is refused (2)
    Case(
        "run-resource-traversal-namespace",
        ["run", "w.yaml"],
        _lib("w.yaml", resource_escape_workflow()),
        (1, 2),
        TRAVERSAL_NS,
    ),
    Case("run-with-fifo", ["run", "w.yaml", "--with", "f.yaml"], _run_with_fifo, 2, "f.yaml"),
    Case("run-missing-file", ["run", "missing.yaml"], _nothing, 2, "missing.yaml"),
    Case(
        "run-bad-parameter",
        ["run", "w.yaml", "-p", "novalue"],
        _lib("w.yaml", SUSPEND_WORKFLOW),
        2,
        "novalue",
    ),
    Case("run-unknown-option", ["run", "--bogus"], _nothing, 2, "--bogus"),
    # init: never writes through a symlink out of the folder it scaffolds
    Case("init-into-a-file", ["init", "wfsync.yaml"], _nothing, 2, "wfsync.yaml"),
    Case("init-symlinks-out", ["init", "../fresh"], _init_symlinks, 2, "fresh"),
    Case(
        "init-gitignore-link-out",
        ["init", "../fresh"],
        _init_gitignore_link,
        2,
        ".gitignore",
        check=_gitignore_kept,
    ),
    # a .gitignore need not be UTF-8: init appends its line as bytes
    Case("init-gitignore-not-utf8", ["init", "../fresh"], _init_gitignore_binary, 0, ".gitignore"),
    Case("init-gitignore-fifo", ["init", "../fresh"], _init_gitignore_fifo, 2, ".gitignore"),
    Case("init-unknown-option", ["init", "--bogus"], _nothing, 2, "--bogus"),
    # more of the same kind: names, config, refs, the store, the command line
    Case(
        "lint-traversal-name", ["lint"], _lib(W + "n.yaml", _template("../../../../outside/x")), 1, "n.yaml"
    ),
    Case(
        "push-traversal-name",
        ["push", "--yes"],
        _lib(W + "n.yaml", _template("../../../../outside/x")),
        1,
        "n.yaml",
    ),
    Case(
        "diff-traversal-name", ["diff"], _lib(W + "n.yaml", _template("../../../../outside/x")), 2, "n.yaml"
    ),
    Case(
        "lint-config-library-outside",
        ["lint"],
        _config(CONFIG.replace("library: library", "library: ../outside")),
        2,
        "wfsync.yaml",
    ),
    Case(
        "diff-config-library-outside",
        ["diff"],
        _config(CONFIG.replace("library: library", "library: ../outside")),
        2,
        "wfsync.yaml",
    ),
    Case("lint-library-folder-symlink-out", ["lint"], _library_symlink_out, 2, "library"),
    Case(
        "diff-config-alias-bomb",
        ["diff"],
        _config(CONFIG + "lint:\n  x:\n" + bomb_lines("    ")),
        2,
        "wfsync.yaml",
    ),
    Case(
        "diff-config-deep",
        ["diff"],
        _config(CONFIG + "lint: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        2,
        "wfsync.yaml",
    ),
    Case("status-config-fifo", ["status"], _config_fifo, 2, "wfsync.yaml"),
    Case(
        "diff-ref-option-injection",
        ["diff", "--ref=--output=../outside/pwned"],
        _nothing,
        2,
        "--output=../outside/pwned",
    ),
    Case("status-corrupt-store-object", ["status"], _corrupt_store, 3, ".json"),
    Case(
        "run-parameter-file-fifo",
        ["run", "w.yaml", "--parameter-file", "p.yaml"],
        _run_parameter_fifo,
        2,
        "p.yaml",
    ),
    Case(
        "convert-uses-symlink-out",
        ["convert", "github-actions", ".github/workflows/ci.yml"],
        _gha_symlink_out,
        2,
        "ci.yml",
        check=_no_outside_content,
    ),
    Case("unknown-command", ["bogus"], _nothing, 2, "bogus"),
    Case("fmt-huge", ["fmt", "huge.yaml"], _huge("huge.yaml"), 2, "huge.yaml"),
    Case("diff-huge", ["diff"], _huge(W + "huge.yaml"), 2, "huge.yaml"),
    Case("diff-non-utf8", ["diff"], _lib(W + "latin.yaml", NON_UTF8), 2, "latin.yaml"),
    Case("push-non-utf8", ["push", "--yes"], _lib(W + "latin.yaml", NON_UTF8), 1, "latin.yaml"),
    Case("push-huge", ["push", "--yes"], _huge(W + "huge.yaml"), 1, "huge.yaml"),
    Case("convert-huge", ["convert", "github-actions", "huge.yml"], _huge("huge.yml"), 2, "huge.yml"),
    Case("run-huge", ["run", "huge.yaml"], _huge("huge.yaml"), 2, "huge.yaml"),
    # resume: the workflow name is not a path
    Case("resume-traversal-name", ["resume", "../../../outside/run"], _resume_escape, 2, "outside/run"),
    Case("resume-not-running", ["resume", "nothing-here"], _nothing, 2, "nothing-here"),
    Case("resume-unknown-option", ["resume", "--bogus"], _nothing, 2, "--bogus"),
]

ALLOWED = {
    "init-symlinks-out": "fresh",
    "init-gitignore-link-out": "fresh",
    "init-gitignore-not-utf8": "fresh",
    "init-gitignore-fifo": "fresh",
}
"""Cases whose repository is another folder of the world (``init`` scaffolds it)."""


@pytest.fixture
def world(world_template: Path, tmp_path: Path) -> Iterator[World]:
    root = tmp_path / "world"
    shutil.copytree(world_template, root, symlinks=True)
    world = World(root)
    yield world
    for path in world.immutable:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    # a FIFO or a loop left behind must not trouble pytest's own clean-up
    for path in root.rglob("*"):
        if path.is_fifo():
            path.unlink()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_error_contract(case: Case, world: World) -> None:
    case.setup(world)
    allowed = world.root / ALLOWED.get(case.id, "repo")
    before = _snapshot(world.root, allowed)
    store_before = _store_health(world.repo)
    assert not ESCAPE_SENTINEL.exists()
    cwd = world.root / case.cwd
    outcome = _forked(case.argv, cwd, world)
    out = outcome.output
    shown = f"wfsync {' '.join(case.argv)} -> exit {outcome.code}\n{out[-3000:]}"

    assert not outcome.hung, f"no answer within {TIMEOUT}s: {shown}"
    assert "Traceback" not in out, shown
    assert "internal error" not in out, shown
    codes = case.code if isinstance(case.code, tuple) else (case.code,)
    assert outcome.code in codes, shown
    assert case.names in out, f"the message does not name {case.names!r}: {shown}"
    if outcome.code in (2, 3):
        # one message: a single error line (Click's usage errors say "Error:" once, after "Usage:")
        errors = re.findall(r"^\s*(?:error|Error):", out, re.M)
        assert len(errors) == 1, f"expected one error message, got {len(errors)}: {shown}"

    after = _snapshot(world.root, allowed)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"written outside the repository: {changed}: {shown}"
    assert not ESCAPE_SENTINEL.exists(), f"{ESCAPE_SENTINEL} was created: {shown}"
    _assert_store_consistent(store_before, _store_health(world.repo))
    if case.check is not None:
        case.check(world, out)

"""``wfsync convert make``: convert, format, write, and with ``--verify`` prove it equal to make.

``--verify`` runs ``make`` in one copy of the workspace and the converted workflow with the
local engine in another (the copy checked out by the workflow's own ``git-checkout`` task), then
compares the trees (content hashes, mtimes ignored), the exit status (0 and Succeeded, non-zero
and Failed) and the output (recipe echoes and output, make's own ``make: ...`` lines left out).
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfsync.convert.layout import commented, flow_style, literal_style
from wfsync.convert.make import MakeConversion, MakeRequest, convert_makefile
from wfsync.convert.make.database import make_program
from wfsync.convert.make.graph import MAKE_MESSAGE
from wfsync.errors import ExitCode, UsageError
from wfsync.fmt import emit
from wfsync.fmt.formatter import canonicalize, new_yaml

LOCAL_IMAGE = "debian:bookworm-slim"
"""What the local engine runs recipes in (the host's tools stand in for it)."""
LOCAL_GIT_IMAGE = "alpine:3.20"
MANIFEST = r"""cd /workspace
find . -path ./.git -prune -o -type d -print | sed 's/^/d /'
find . -path ./.git -prune -o -type l -print | while IFS= read -r f; do printf 'l %s %s\n' "$(readlink "$f")" "$f"; done
find . -path ./.git -prune -o -type f -print | while IFS= read -r f; do printf 'f %s %s\n' "$(sha256sum < "$f" | cut -c1-64)" "$f"; done
"""
MANIFEST_MARK = "wfsync-manifest"


@dataclass
class Verification:
    """make against the converted workflow: what differed (empty: equal)."""

    make_status: int = 0
    workflow_phase: str = ""
    differences: list[str] = field(default_factory=list)
    make_output: str = ""
    workflow_output: str = ""

    @property
    def equal(self) -> bool:
        """Whether the run and make agreed on everything compared."""
        return not self.differences

    def to_json(self) -> dict[str, object]:
        """JSON form."""
        return {
            "equal": self.equal,
            "make_exit_status": self.make_status,
            "workflow_phase": self.workflow_phase,
            "differences": self.differences,
        }


@dataclass
class MakeResult:
    """What ``convert make`` produced."""

    conversion: MakeConversion
    text: str
    path: Path | None = None
    verification: Verification | None = None

    @property
    def exit_code(self) -> ExitCode:
        """0 converted (and verified equal), 1 findings or differences."""
        if self.verification is not None and not self.verification.equal:
            return ExitCode.FINDINGS
        return ExitCode.CLEAN if self.conversion.complete else ExitCode.FINDINGS


def render(conversion: MakeConversion) -> str:
    """The document in ``wfsync fmt``'s canonical form with its header comment.

    Written by :func:`wfsync.fmt.emit.dump` (a generated document's canonical text without
    ruamel's emitter, ten times faster on thousands of tasks); a shape it does not reproduce falls
    back to ruamel (:func:`render_ruamel`), which the tests check it equals.
    """
    try:
        body = emit.dump(conversion.document, LAYOUT)
    except emit.Unsupported:
        return render_ruamel(conversion)
    return _header(conversion) + body


def render_ruamel(conversion: MakeConversion) -> str:
    """:func:`render` through ruamel's round-trip emitter (the reference form)."""
    document = commented(copy.deepcopy(conversion.document))
    canonicalize(document)
    buffer = io.StringIO()
    new_yaml().dump(document, buffer)
    return _header(conversion) + buffer.getvalue()


LAYOUT = emit.Layout(flow=flow_style, literal=literal_style)


def _header(conversion: MakeConversion) -> str:
    return "".join(f"# {' '.join(line.split())}\n" for line in conversion.header)


def run_convert_make(
    request: MakeRequest, *, out_dir: Path | None = None, verify: bool = False
) -> MakeResult:
    """Convert, write to ``out_dir`` (else keep for stdout), and verify when asked."""
    conversion = convert_makefile(request)
    result = MakeResult(conversion, render(conversion))
    if out_dir is not None:
        if out_dir.exists() and not out_dir.is_dir():
            raise UsageError(f"--out-dir {out_dir}: not a directory")
        out_dir.mkdir(parents=True, exist_ok=True)
        name = (
            conversion.document["metadata"].get("name")
            or conversion.document["metadata"]["generateName"][:-1]
        )
        result.path = out_dir / f"{name}.yaml"
        result.path.write_text(result.text, encoding="utf-8")
    if verify:
        result.verification = verify_conversion(conversion)
    return result


def reference_run(request: MakeRequest, into: Path) -> tuple[int, str, dict[str, str]]:
    """Plain ``make`` in a copy under ``into``: exit status, output (stderr merged), tree manifest."""
    work = into / "make"
    shutil.copytree(request.directory, work, symlinks=True, ignore=shutil.ignore_patterns(".git", ".wfsync"))
    command = [make_program(), *(["-f", request.makefile] if request.makefile else []), *request.variables]
    if request.jobs:
        command.append(f"-j{request.jobs}")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    try:
        done = subprocess.run(
            [*command, *request.goals],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
            timeout=600,
        )
        status, output = done.returncode, done.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        status, output = 124, ""
    return status, output, tree_manifest(work)


def tree_manifest(root: Path) -> dict[str, str]:
    """``./path`` -> ``d``, ``l target`` or ``f sha256`` for everything under ``root`` but ``.git``."""
    out: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not (Path(folder) == root and d == ".git")]
        base = Path(folder)
        rel = "." if base == root else "./" + base.relative_to(root).as_posix()
        out[rel] = "d"
        for name in [*files, *[d for d in dirs if (base / d).is_symlink()]]:
            path = base / name
            key = f"{rel}/{name}"
            if path.is_symlink():
                out[key] = f"l {path.readlink()}"
            elif path.is_file():
                out[key] = "f " + hashlib.sha256(path.read_bytes()).hexdigest()
        dirs[:] = [d for d in dirs if not (base / d).is_symlink()]
    return out


def _parse_manifest(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "d":
            out[rest] = "d"
        elif kind in ("f", "l"):
            value, _, path = rest.partition(" ")
            out[path] = f"{kind} {value}"
    return out


def localize(document: dict[str, Any], repo: Path) -> dict[str, Any]:
    """The document as the local engine runs it.

    The copy is the repository, images are host stand-ins, and an exit handler prints the
    workspace's manifest (what the comparison reads).
    """
    doc = copy.deepcopy(document)
    doc["kind"] = "Workflow"
    metadata = doc["metadata"]
    if "name" in metadata:
        metadata["generateName"] = metadata.pop("name") + "-"
    spec = doc["spec"]
    for param in spec["arguments"]["parameters"]:
        if param["name"] == "repo":
            param["value"] = repo.as_uri()
        if param["name"] == "image":
            param["value"] = LOCAL_IMAGE
    for task in spec["templates"][0]["dag"]["tasks"]:
        if task.get("templateRef", {}).get("name") == "git-checkout":
            task["arguments"]["parameters"].append({"name": "image", "value": LOCAL_GIT_IMAGE})
    spec["onExit"] = MANIFEST_MARK
    spec["templates"].append(
        {
            "name": MANIFEST_MARK,
            "script": {
                "image": LOCAL_IMAGE,
                "command": ["sh"],
                "source": MANIFEST,
                "volumeMounts": [{"name": "workspace", "mountPath": "/workspace"}],
            },
        }
    )
    return doc


def verify_conversion(conversion: MakeConversion) -> Verification:
    """Run make and the converted workflow in two copies and compare what they did."""
    from wfsync.commands.convert import checkout_source
    from wfsync.commands.library import fallback_for
    from wfsync.engine.run import RunRequest
    from wfsync.engine.run import run as run_workflow

    request = conversion.request
    check = Verification()
    with tempfile.TemporaryDirectory(prefix="wfsync-make-verify-") as tmp:
        folder = Path(tmp)
        check.make_status, make_output, make_tree = reference_run(request, folder)
        repo = checkout_source(request.directory, folder)
        document = localize(conversion.document, repo)
        path = folder / "workflow.yaml"
        buffer = io.StringIO()
        new_yaml().dump(document, buffer)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        outcome = run_workflow(
            RunRequest(path=path, state_dir=folder / "state", templates=fallback_for(document, None))
        )
    check.workflow_phase = outcome.status.phase
    logs: dict[str, str] = {}
    for name, text in outcome.logs:
        logs[name] = logs.get(name, "") + text
    manifest = next((t for n, t in logs.items() if n.endswith(".onExit") or MANIFEST_MARK in n), None)
    pods = sorted(
        (n for n in outcome.status.nodes.values() if n.type == "Pod" and n.name in logs),
        key=lambda n: (n.started, n.name),
    )
    task_names = {t.name for t in conversion.graph.tasks}
    task_names |= {n.name for t in conversion.graph.tasks if t.nested is not None for n in t.nested.tasks}
    output = "".join(logs[n.name] for n in pods if n.name.rsplit(".", 1)[-1] in task_names)
    check.make_output = _comparable(make_output)
    check.workflow_output = _comparable(output)
    made_ok = check.make_status == 0
    if made_ok != (check.workflow_phase == "Succeeded"):
        check.differences.append(
            f"make exited {check.make_status}, the workflow ended {check.workflow_phase}"
        )
    if manifest is None:
        check.differences.append("the workflow's workspace could not be read (no manifest)")
    else:
        _compare_trees(make_tree, _parse_manifest(manifest), check.differences)
    if check.make_output != check.workflow_output:
        if (
            sorted(check.make_output.splitlines()) == sorted(check.workflow_output.splitlines())
            and request.mode == "dag"
        ):
            pass  # the same lines; parallel tasks interleave differently
        else:
            check.differences.append("output differs:\n" + _diff(check.make_output, check.workflow_output))
    return check


def _comparable(text: str) -> str:
    return MAKE_MESSAGE.sub("", text)


def _compare_trees(make: dict[str, str], flow: dict[str, str], differences: list[str]) -> None:
    for path in sorted(set(make) | set(flow)):
        left, right = make.get(path), flow.get(path)
        if left == right:
            continue
        if left is None:
            differences.append(f"{path}: only after the workflow")
        elif right is None:
            differences.append(f"{path}: only after make")
        else:
            differences.append(f"{path}: differs ({left[:10]} after make, {right[:10]} after the workflow)")


def _diff(left: str, right: str) -> str:
    import difflib

    lines = difflib.unified_diff(left.splitlines(), right.splitlines(), "make", "workflow", lineterm="", n=1)
    return "\n".join(list(lines)[:40])

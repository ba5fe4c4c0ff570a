"""Local composite actions (``uses: ./path`` with ``runs.using: composite``) inlined as steps.

GitHub runs a composite action's steps in the caller's job, with its own ``inputs`` and
``steps`` contexts. Here each inner step becomes a step of the job: ``inputs.X`` becomes an
environment variable the inner steps get (so values still reach scripts only through the
environment), inner step ids are prefixed with the caller's id, and the action's ``outputs``
are written by a last step that carries the caller's id, so ``steps.<id>.outputs.<name>``
reads them as it does for any step.
"""

from __future__ import annotations

import base64
import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wfsync import safepath
from wfsync.convert.gha.model import Step
from wfsync.convert.gha.yaml12 import YamlError, load, scalar_text, to_python
from wfsync.library.yamlload import read_text_bounded

MAX_DEPTH = 8
_INPUT = re.compile(r"\binputs\.([A-Za-z_][A-Za-z0-9_-]*)", re.IGNORECASE)
_INPUT_INDEX = re.compile(r"\binputs\[\s*'([^']+)'\s*\]", re.IGNORECASE)
_STEPS = re.compile(r"\bsteps\.([A-Za-z_][A-Za-z0-9_-]*)", re.IGNORECASE)
_ACTION_PATH = re.compile(r"\bgithub\.action_path\b", re.IGNORECASE)
_SPAN = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


class CompositeError(Exception):
    """A local action that cannot be inlined (missing, invalid, not composite)."""


def repository_root(workflow: Path) -> Path:
    """The folder ``./`` paths of ``uses:`` are relative to: the one holding ``.github``."""
    resolved = workflow.resolve()
    for parent in resolved.parents:
        if parent.name == ".github":
            return parent.parent
    return resolved.parent


def local_resolver(path: Path) -> Callable[[str], str | None]:
    """Reads ``uses: ./...`` targets for the parser's call checks, never outside the repository."""
    root = path.resolve().parent
    while root != root.parent and root.name not in (".github",):
        root = root.parent
    repo = root.parent if root.name == ".github" else path.resolve().parent

    def resolve(uses: str) -> str | None:
        if not uses.startswith("./"):
            return None
        target = safepath.within(repo, uses[2:], what="uses")  # never read outside the repository
        try:
            return read_text_bounded(target)
        except OSError:
            return None

    return resolve


def _candidates(root: Path, uses: str) -> list[Path]:
    """Where ``uses`` may live: under ``root``, else (no ``.github`` found) under its parents.

    A path that leaves its folder (``..``, a symlink out) is an input error, never read.
    """
    relative = uses[2:].rstrip("/")
    found = [safepath.within(root, relative, what="uses")]
    if not (root / ".github").is_dir():
        found += [safepath.within(parent, relative, what="uses") for parent in list(root.parents)[:2]]
    return found


@dataclass(frozen=True)
class Written:
    """A workspace file that an earlier ``run:`` step writes with ``shell: cp {0} FILE``."""

    step: Step
    text: str | None
    """What the step writes (its script), or None when it depends on run-time values."""


_ACTION_FILES = ("action.yml", "action.yaml")


def written_path(step: Step, default_wd: str | None = None) -> str | None:
    """The workspace-relative file a step writes its own script to (``cp {0} F`` / ``mv {0} F``).

    Such a step deterministically copies its ``run:`` text to ``F``, so what it writes is known
    now (act's tests write local actions this way). Anything else (a script that writes files)
    is not followed.
    """
    shell = step.raw.get("shell")
    if step.run is None or not isinstance(shell, str):
        return None
    try:
        words = shlex.split(shell)
    except ValueError:
        return None
    if len(words) != 3 or words[0] not in ("cp", "mv") or words[1] != "{0}" or "${{" in words[2]:
        return None
    wd = step.raw.get("working-directory") or default_wd or ""
    wd = scalar_text(wd)
    if "${{" in wd or wd.startswith("/") or words[2].startswith("/"):
        return None
    path = posixpath.normpath(posixpath.join(wd, words[2]))
    return None if path.startswith("..") else path


def _written_action(uses: str, written: dict[str, Written]) -> tuple[str, Written] | None:
    """The action file (or Dockerfile) for ``uses`` that a step of the job writes, if any."""
    folder = uses[2:].rstrip("/")
    for name in (*_ACTION_FILES, "Dockerfile"):
        path = posixpath.normpath(posixpath.join(folder, name))
        if path in written:
            return path, written[path]
    return None


def _check_step(step: Step, path: str, writer: Written, text: str) -> Step:
    """A step that fails unless ``path`` still holds what ``writer`` wrote (it was inlined from that)."""
    expected = base64.b64encode(text.encode()).decode()
    run = (
        f'if [ "$(cat "$GITHUB_WORKSPACE"/{shlex.quote(path)} 2>/dev/null)" != "$(printf %s {expected} | base64 -d)" ]; then\n'
        f"  echo {shlex.quote(f'wfsync: {path} is not what step {writer.step.name!r} wrote; the action was converted from that text')} >&2\n"
        "  exit 1\n"
        "fi\n"
    )
    raw: dict[str, object] = {"name": f"{step.name} (check {path})", "run": run, "shell": "sh"}
    if step.raw.get("if") not in (None, ""):
        raw["if"] = step.raw["if"]
    return Step(f"{step.id}--check", True, step.index, step.line, raw)


def _parse_action(text: str, uses: str, name: str) -> dict[str, Any]:
    try:
        body = to_python(load(text))
    except YamlError as err:
        raise CompositeError(f"{uses}: cannot read {name}: {err}") from None
    if not isinstance(body, dict) or not isinstance(body.get("runs"), dict):
        raise CompositeError(f"{uses}: {name} has no runs: section")
    return body


def expand_steps(
    steps: list[Step], root: Path, default_wd: str | None = None
) -> tuple[list[Step], dict[str, str]]:
    """A job's steps with local composite actions inlined, and why the others were not.

    A ``uses: ./path`` is looked up first among the files earlier steps of the job write
    (:func:`written_path`), then in the repository. An action taken from a written file is
    preceded by a check that the file still holds that text when the job runs.
    """
    written: dict[str, Written] = {}
    out: list[Step] = []
    problems: dict[str, str] = {}
    for step in steps:
        target = written_path(step, default_wd)
        if target is not None:
            # A script with ${{ }} is not copied as GitHub would (the driver passes values as variables).
            text = step.run or ""
            written[target] = Written(step, None if "${{" in text else text)
        uses = step.uses or ""
        if not uses.startswith("./"):
            out.append(step)
            continue
        try:
            found = _written_action(uses, written)
            if found is None:
                out.extend(expand(step, read_action(root, uses), root))
                continue
            path, writer = found
            if writer.text is None:
                raise CompositeError(
                    f"{uses}: {path} is written at run time by step {writer.step.name!r} from a script with ${{{{ }}}}; it is not converted"
                )
            if path.rsplit("/", 1)[-1] == "Dockerfile":
                raise CompositeError(
                    f"{uses}: a Docker container action (step {writer.step.name!r} writes its {path}); Docker actions are not converted, wfsync runs no Docker"
                )
            action = _parse_action(writer.text, uses, path)
            inlined = expand(step, action, root)
            out.extend([_check_step(step, path, writer, writer.text), *inlined])
        except CompositeError as err:
            problems[step.id] = str(err)
            out.append(step)
        except safepath.PathEscapeError as err:
            raise safepath.PathEscapeError(err.message, line=err.line or step.line) from None
    return out, problems


def read_action(root: Path, uses: str) -> dict[str, Any]:
    """The action definition at ``root/uses`` (``action.yml`` or ``action.yaml``)."""
    folders = _candidates(root, uses)
    folder = next(
        (f for f in folders if (f / "action.yml").is_file() or (f / "action.yaml").is_file()), folders[0]
    )
    for name in ("action.yml", "action.yaml"):
        path = folder / name
        if path.is_file():
            try:
                text = read_text_bounded(path)
            except (OSError, UnicodeDecodeError) as err:
                raise CompositeError(f"{uses}: cannot read {name}: {err}") from None
            return _parse_action(text, uses, name)
    raise CompositeError(f"{uses}: no action.yml in {folder}")


def input_var(name: str) -> str:
    """The environment variable holding input ``name`` inside the action's steps."""
    return "WFSYNC_INPUT_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _rewrite(text: str, prefix: str, inner_ids: set[str]) -> str:
    """``inputs.X`` to ``env.<var>`` and inner ``steps.Y`` to ``steps.<prefix>Y`` in ``${{ }}``."""

    def span(match: re.Match[str]) -> str:
        body = _INPUT.sub(lambda m: "env." + input_var(m.group(1)), match.group(1))
        body = _INPUT_INDEX.sub(lambda m: "env." + input_var(m.group(1)), body)
        body = _ACTION_PATH.sub("env.GITHUB_ACTION_PATH", body)
        body = _STEPS.sub(
            lambda m: f"steps.{prefix}{m.group(1)}" if m.group(1).lower() in inner_ids else m.group(0), body
        )
        return "${{" + body + "}}"

    return _SPAN.sub(span, text)


def _rewrite_value(value: object, prefix: str, inner_ids: set[str]) -> object:
    if isinstance(value, str):
        return _rewrite(value, prefix, inner_ids)
    if isinstance(value, dict):
        return {k: _rewrite_value(v, prefix, inner_ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite_value(v, prefix, inner_ids) for v in value]
    return value


def expand(step: Step, action: dict[str, Any], root: Path, depth: int = 0) -> list[Step]:
    """The steps that replace ``step`` (a call of the composite ``action``)."""
    runs = action["runs"]
    if runs.get("using") != "composite":
        raise CompositeError(f"{step.uses}: a {runs.get('using')} action; only composite actions are inlined")
    if depth >= MAX_DEPTH:
        raise CompositeError(f"{step.uses}: composite actions nested deeper than {MAX_DEPTH}")
    env = _input_env(step, action)
    prefix = f"{step.id}--"
    raw_steps = [s for s in runs.get("steps") or [] if isinstance(s, dict)]
    inner_ids = {str(s["id"]).lower() for s in raw_steps if s.get("id")}
    outer_env: dict[str, object] = step.raw["env"] if isinstance(step.raw.get("env"), dict) else {}
    out: list[Step] = []
    for index, raw in enumerate(raw_steps):
        inner = {str(k): _rewrite_value(v, prefix, inner_ids) for k, v in raw.items()}
        inner_id = f"{prefix}{raw['id']}" if raw.get("id") else f"{prefix}{index + 1}"
        # The calling step's env first: input values (``${{ env.X }}``) read it.
        own_env = inner.get("env") or {}
        if not isinstance(own_env, dict):
            raise CompositeError(f"{step.uses}: the env of step {index + 1} is not a mapping")
        inner["env"] = {**outer_env, **env, **own_env}
        if step.raw.get("if") not in (None, "") and inner.get("if") in (None, ""):
            inner["if"] = step.raw["if"]
        if step.raw.get("continue-on-error") is True:
            inner["continue-on-error"] = True
        if "working-directory" not in inner and "run" in inner and step.raw.get("working-directory"):
            inner["working-directory"] = step.raw["working-directory"]
        child = Step(inner_id, True, step.index, step.line, inner)
        uses = str(inner.get("uses") or "")
        if uses.startswith("./"):
            out.extend(expand(child, read_action(root, uses), root, depth + 1))
        else:
            out.append(child)
    outputs: dict[str, object] = action["outputs"] if isinstance(action.get("outputs"), dict) else {}
    if outputs:
        # The outputs see the calling step's env too.
        out.append(_outputs_step(step, outputs, {**outer_env, **env}, prefix, inner_ids))
    return out


def _input_env(step: Step, action: dict[str, Any]) -> dict[str, str]:
    """The action's inputs as ``INPUT_*`` variables (given, else default) and its ``GITHUB_ACTION_PATH``."""
    given: dict[str, object] = step.raw["with"] if isinstance(step.raw.get("with"), dict) else {}
    env: dict[str, str] = {}
    declared: dict[str, object] = action["inputs"] if isinstance(action.get("inputs"), dict) else {}
    for name, spec in declared.items():
        match = next((v for k, v in given.items() if str(k).lower() == str(name).lower()), None)
        default = spec.get("default") if isinstance(spec, dict) else None
        value = match if match is not None else default
        env[input_var(str(name))] = "" if value is None else scalar_text(value)
    for key, value in given.items():  # undeclared inputs still reach inputs.X
        env.setdefault(input_var(str(key)), scalar_text(value))
    # A local action lives in the checked-out repository, under the workspace.
    env["GITHUB_ACTION_PATH"] = "${{ github.workspace }}/" + str(step.uses)[2:].rstrip("/")
    return env


def _outputs_step(
    step: Step, outputs: dict[str, object], out_env: dict[str, object], prefix: str, inner_ids: set[str]
) -> Step:
    """A last step, with the caller's id, that writes the action's ``outputs`` to GITHUB_OUTPUT."""
    lines = []
    for n, (name, spec) in enumerate(outputs.items(), start=1):
        value = spec.get("value") if isinstance(spec, dict) else None
        var = f"WFSYNC_OUTPUT_{n}"
        out_env[var] = _rewrite(scalar_text(value or ""), prefix, inner_ids)
        delimiter = f"WFSYNC_EOF_{n}"
        key = shlex.quote(str(name))
        # KEY=VALUE for one line (Argo-side readers expect it), a heredoc block otherwise.
        lines.append(
            f'if [ "$(printf %s "${var}" | wc -l)" -eq 0 ]; then printf \'%s=%s\\n\' {key} "${var}"; '
            f'else printf \'%s<<{delimiter}\\n%s\\n{delimiter}\\n\' {key} "${var}"; fi >> "$GITHUB_OUTPUT"'
        )
    raw_out: dict[str, object] = {"name": f"{step.name} (outputs)", "run": "\n".join(lines), "shell": "sh"}
    raw_out["env"] = out_env
    # GitHub computes the outputs even when a step of the action failed.
    raw_out["if"] = step.raw["if"] if step.raw.get("if") not in (None, "") else "always()"
    return Step(step.id, step.explicit_id, step.index, step.line, raw_out)

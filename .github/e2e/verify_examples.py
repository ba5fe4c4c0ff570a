"""Run ``wfsync verify`` over Argo's examples and converted starter workflows; write a JSON summary.

Run by ``.github/workflows/e2e-kind.yml`` against a kind cluster made by ``wfsync cluster up``:

    python .github/e2e/verify_examples.py --examples argo/examples \
        --starter-report converted/report.json --target kind-wfsync --summary e2e-summary.json

What is verified (the rest is listed in the summary with the reason it was left out):

- Argo examples: files holding exactly one Workflow and nothing else, not labelled
  ``workflows.argoproj.io/no-test`` (Argo's own e2e suite does not expect those to pass; its
  ``expected-failure`` ones are kept: a deterministic failure is a verdict to compare), needing
  nothing ``cluster up`` does not install (an artifact repository, templates or ConfigMaps created
  beforehand, a ServiceAccount of their own, RBAC beyond the executor's for resource, HTTP or
  plugin templates), and accepted by the local engine's preflight (no ``unsupported:`` reason).
- Starter workflows: the output of ``wfsync convert github-actions --starter`` over
  actions/starter-workflows at a pinned commit, taken from its ``--report`` JSON: verdict
  ``successful`` and no secrets to provide; then the same local-engine preflight.

Each selected file is verified with ``wfsync verify FILE --target T -o json`` (a separate
process with a time limit; ``--jobs`` of them at a time). Exit 0 when every verified file gave
the same result locally and on Argo, 1 when any differed or could not be run, 2 for bad
arguments.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

NO_TEST = "workflows.argoproj.io/no-test"
KEPT_NO_TEST = frozenset({"expected-failure"})
"""no-test values still verified: Argo expects these to fail, every time."""
MAX_FILE_BYTES = 1_000_000
_LOCAL_ARTIFACTS = frozenset({"raw", "http", "git"})
"""Artifact sources that need no artifact repository."""
_AGENT_TEMPLATES = {"http": "an HTTP template", "plugin": "a plugin template"}


@dataclasses.dataclass(frozen=True)
class Choice:
    """One candidate file and why it is left out (None: verified)."""

    path: Path
    group: str
    reason: str | None = None


def _walk(node: Any, parents: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str, Any]]:
    """Every (path of keys, key, value) in a YAML document."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield parents, str(key), value
            yield from _walk(value, (*parents, str(key)))
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, parents)


def static_reason(docs: Sequence[Any]) -> str | None:
    """Why an example file cannot be verified on a fresh ``cluster up`` (None: it can)."""
    workflows = [d for d in docs if isinstance(d, Mapping) and d.get("kind") == "Workflow"]
    if not workflows:
        return "holds no Workflow"
    others = sorted(
        {str(d.get("kind")) for d in docs if isinstance(d, Mapping) and d.get("kind") != "Workflow"}
    )
    if len(workflows) > 1 or others:
        return f"holds more than one Workflow or other objects ({', '.join(others) or 'Workflows'})"
    wf = workflows[0]
    label = ((wf.get("metadata") or {}).get("labels") or {}).get(NO_TEST)
    if label is not None and label not in KEPT_NO_TEST:
        return f"labelled {NO_TEST}: {label} (Argo's own e2e suite does not expect it to pass)"
    spec = wf.get("spec") or {}
    if spec.get("workflowTemplateRef"):
        return "runs a WorkflowTemplate that must be created first (workflowTemplateRef)"
    if spec.get("serviceAccountName"):
        return f"runs as ServiceAccount {spec['serviceAccountName']!r}, which cluster up does not create"
    if spec.get("artifactRepositoryRef"):
        return "needs an artifact repository (artifactRepositoryRef)"
    for parents, key, value in _walk(spec):
        reason = _key_reason(parents, key, value)
        if reason:
            return reason
    return None


def _key_reason(parents: tuple[str, ...], key: str, value: Any) -> str | None:
    """Why one key of a Workflow's spec needs more than ``cluster up`` installs."""
    in_template = bool(parents) and parents[-1] in ("templates", "inline")
    if key == "templateRef":
        return "calls templates that must be created first (templateRef)"
    if key in ("configMapKeyRef", "configMap") and isinstance(value, Mapping):
        return "reads a ConfigMap that must be created first"
    if key in ("secretKeyRef", "secret") and isinstance(value, Mapping):
        return "reads a Secret that must be created first"
    if key == "resource" and in_template and isinstance(value, Mapping):
        return "has a resource template (needs RBAC beyond the executor's)"
    if key in _AGENT_TEMPLATES and in_template and isinstance(value, Mapping):
        return f"has {_AGENT_TEMPLATES[key]} (needs the agent's RBAC)"
    if key == "artifacts" and isinstance(value, list):
        return _artifact_reason(parents, value)
    if (key == "archiveLogs" and value is True) or (key == "archiveLocation" and isinstance(value, Mapping)):
        return "archives logs (needs an artifact repository)"
    if key == "persistentVolumeClaim" and isinstance(value, Mapping) and value.get("claimName"):
        return f"mounts PersistentVolumeClaim {value['claimName']!r}, which must exist first"
    return None


def _artifact_reason(parents: tuple[str, ...], artifacts: list[Any]) -> str | None:
    if parents and parents[-1] == "outputs":
        return "stores output artifacts (needs an artifact repository)"
    for art in artifacts:
        if isinstance(art, Mapping) and not (_LOCAL_ARTIFACTS & set(art)) and not art.get("optional"):
            return f"reads artifact {art.get('name')!r} from an artifact repository"
    return None


def load_docs(path: Path) -> list[Any]:
    """The YAML documents of ``path`` (bounded size); raises ValueError when unreadable."""
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES} bytes")
    try:
        return [d for d in yaml.safe_load_all(data.decode("utf-8")) if d is not None]
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ValueError(f"not readable YAML: {err}") from None


def select_examples(root: Path) -> list[Choice]:
    """Every YAML file under ``root`` with its static verdict (sorted, paths never leave ``root``)."""
    choices = []
    real_root = root.resolve()
    for path in sorted(root.rglob("*.yaml")):
        if not path.resolve().is_relative_to(real_root):
            choices.append(Choice(path, "argo-examples", "a symlink out of the examples folder"))
            continue
        try:
            reason = static_reason(load_docs(path))
        except (OSError, ValueError) as err:
            reason = str(err)
        choices.append(Choice(path, "argo-examples", reason))
    return choices


def select_starters(report: Mapping[str, Any], base: Path, cwd: Path) -> list[Choice]:
    """Converted starter workflows from ``convert --report`` JSON: complete and needing no secrets.

    ``base`` is the conversion's output folder (every output must be inside it); relative output
    paths in the report are relative to ``cwd``, where the conversion ran.
    """
    choices = []
    real_base = base.resolve()
    for entry in report.get("workflows") or []:
        if not isinstance(entry, Mapping) or not entry.get("output"):
            continue
        path = Path(str(entry["output"]))
        path = path if path.is_absolute() else cwd / path
        source = Path(str(entry.get("source", path))).name
        secrets = sorted((entry.get("manualTasks") or {}).get("secrets") or {})
        reason = None
        if not path.resolve().is_relative_to(real_base):
            reason = "output outside the conversion folder"
        elif entry.get("error"):
            reason = f"conversion error: {entry['error']}"
        elif entry.get("verdict") != "successful":
            reason = f"conversion {entry.get('verdict')} (not every step converted)"
        elif secrets:
            reason = f"needs secrets: {', '.join(secrets)}"
        elif entry.get("kind", "Workflow") != "Workflow":
            reason = f"converted to a {entry.get('kind')}, not a Workflow"
        choices.append(Choice(path, f"starter:{source}", reason))
    return choices


def engine_reason(path: Path, library: Path | None) -> str | None:
    """Why the local engine would not run ``path`` faithfully (its preflight), None when it would."""
    from wfsync.engine.executor import Unsupported
    from wfsync.engine.host import HostExecutor
    from wfsync.engine.run import RunRequest, prepare
    from wfsync.errors import WfsyncError

    try:
        prepare(RunRequest(path=path, library=library), HostExecutor())
    except Unsupported as err:
        return f"local engine: {err}"
    except WfsyncError as err:
        return f"local engine refuses it: {err}"
    return None


def with_engine(choices: Iterable[Choice], library: Path | None) -> list[Choice]:
    """``choices`` with the local engine's preflight applied to the ones still selected."""
    out = []
    for choice in choices:
        if choice.reason is None:
            choice = dataclasses.replace(choice, reason=engine_reason(choice.path, library))
        out.append(choice)
    return out


def verify(path: Path, target: str, timeout: float, wfsync: Sequence[str]) -> dict[str, Any]:
    """``wfsync verify`` on one file: its verdict (same, different, error) and details."""
    started = time.monotonic()
    argv = [*wfsync, "verify", str(path), "--target", target, "-o", "json"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"verdict": "error", "exitCode": None, "error": f"no answer within {timeout:g} s"}
    result: dict[str, Any] = {"exitCode": proc.returncode, "seconds": round(time.monotonic() - started, 1)}
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        doc = {}
    if proc.returncode in (0, 1) and "differences" in doc:
        result.update(
            verdict="same" if proc.returncode == 0 else "different",
            phase=doc.get("phase"),
            nodes=doc.get("nodes"),
            differences=doc.get("differences"),
        )
    else:
        message = (doc.get("error") or {}).get("message") if isinstance(doc, dict) else None
        result.update(verdict="error", error=message or proc.stderr.strip()[-2000:] or "no output")
    return result


def summarize(
    choices: Sequence[Choice], results: Mapping[Path, dict[str, Any]], target: str
) -> dict[str, Any]:
    """The summary document (stable keys; uploaded as the workflow's artifact)."""
    groups: dict[str, dict[str, Any]] = {}
    for choice in choices:
        group = "starter-workflows" if choice.group.startswith("starter:") else choice.group
        entry = groups.setdefault(group, {"verified": 0, "skipped": []})
        if choice.reason is None:
            entry["verified"] += 1
        else:
            entry["skipped"].append({"file": str(choice.path), "reason": choice.reason})
    rows = [{"file": str(path), **result} for path, result in results.items()]
    totals = {
        verdict: sum(1 for r in rows if r["verdict"] == verdict) for verdict in ("same", "different", "error")
    }
    return {"schemaVersion": 1, "target": target, "totals": totals, "groups": groups, "results": rows}


def main(argv: Sequence[str] | None = None) -> int:
    """Select, verify, write the summary; the exit code says whether every verdict matched."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=Path, help="Argo's examples/ folder")
    parser.add_argument("--starter-report", type=Path, help="JSON report of wfsync convert github-actions")
    parser.add_argument("--library", type=Path, default=Path("library"), help="the library the target holds")
    parser.add_argument("--target", default="kind-wfsync")
    parser.add_argument("--summary", type=Path, required=True, help="where the JSON summary goes")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per verify")
    parser.add_argument("--jobs", type=int, default=4, help="verifications run at the same time")
    parser.add_argument("--limit", type=int, default=0, help="verify at most this many files (0: all)")
    parser.add_argument("--wfsync", help="command that runs wfsync (default: this Python's -m wfsync)")
    parser.add_argument("--list", action="store_true", help="only print the selection")
    args = parser.parse_args(argv)
    if args.examples is None and args.starter_report is None:
        parser.error("give --examples and/or --starter-report")
    choices: list[Choice] = []
    if args.examples is not None:
        if not args.examples.is_dir():
            parser.error(f"--examples: no folder {args.examples}")
        choices += with_engine(select_examples(args.examples), None)
    if args.starter_report is not None:
        try:
            report = json.loads(args.starter_report.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            parser.error(f"--starter-report: {err}")
        library = args.library if args.library.is_dir() else None
        starters = select_starters(report, args.starter_report.parent, Path.cwd())
        choices += with_engine(starters, library)
    selected = [c.path for c in choices if c.reason is None]
    if args.limit:
        selected = selected[: args.limit]
    if args.list:
        for choice in choices:
            print(f"{'verify' if choice.reason is None else 'skip  '} {choice.path}  {choice.reason or ''}")
        return 0
    results: dict[Path, dict[str, Any]] = {}
    wfsync = shlex.split(args.wfsync) if args.wfsync else [sys.executable, "-m", "wfsync"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(verify, path, args.target, args.timeout, wfsync): path for path in selected}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            path = futures[future]
            results[path] = future.result()
            print(f"[{done}/{len(selected)}] {results[path]['verdict']:9} {path}", flush=True)
    results = {path: results[path] for path in selected}  # the selection's order, whatever finished first
    summary = summarize(choices, results, args.target)
    args.summary.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary["totals"]))
    return 0 if summary["totals"]["different"] == 0 and summary["totals"]["error"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

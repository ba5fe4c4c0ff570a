"""Run the library's ``shell/setup`` and ``shell/step`` scripts for real, with ``sh``, outside Argo.

What Argo and the pod would do is done here: input parameters are substituted into the raw
artifacts (``/tmp/wfsync/...``) and environment, ``/workspace`` is a temp folder, and the tags
of the converted step (``{{=...}}``) are replaced by the values a test gives for them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO_ROOT

_TAG = re.compile(r"\{\{(.*?)\}\}")


def argo(text: str, values: dict[str, str] | None = None) -> str:
    """Argo's substitution of one parameter value: the ``{{`` escape, given tags, the rest empty."""
    values = values or {}

    def one(match: re.Match[str]) -> str:
        tag = match.group(1)
        if tag == "='{{'":
            return "{{"
        for key, value in values.items():
            if key in tag:
                return json.dumps(value) if tag.startswith("=toJSON(") else value
        return ""

    return _TAG.sub(one, text)


def _template(name: str) -> dict[str, Any]:
    document = yaml.safe_load((REPO_ROOT / "library" / "shell.yaml").read_text())
    return next(t for t in document["spec"]["templates"] if t["name"] == name)


def run(
    template: str,
    parameters: dict[str, str],
    workspace: Path,
    values: dict[str, str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run ``shell/<template>`` with the step's parameters; the result and its ``outputs``."""
    spec = _template(template)
    given = {p["name"]: p.get("default", "") for p in spec["inputs"]["parameters"]}
    given.update({k: argo(v, values) for k, v in parameters.items()})
    pod = workspace.parent / f"pod-{template}"
    pod.mkdir(exist_ok=True)
    mapping = {"/tmp/wfsync": str(pod / "wfsync"), "/tmp/outputs": str(pod / "outputs")}

    def local(text: str) -> str:
        text = re.sub(r"\{\{inputs\.parameters\.([\w-]+)\}\}", lambda m: given[m.group(1)], text)
        for path, folder in mapping.items():
            text = text.replace(path, folder)
        return text

    for artifact in spec["inputs"].get("artifacts", []):
        target = Path(local(artifact["path"]))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(local(artifact["raw"]["data"]))
    env = {"PATH": os.environ["PATH"]}
    for item in spec["script"].get("env", []):
        env[item["name"]] = local(item["value"])
    env.update(extra_env or {})
    source = local(spec["script"]["source"])
    result = subprocess.run(
        ["sh", "-c", source], cwd=workspace, env=env, capture_output=True, text=True, check=False
    )
    outputs_file = pod / "outputs" / "outputs.json"
    outputs = json.loads(outputs_file.read_text()) if outputs_file.exists() else {}
    return result, outputs

"""Steps that run scripts: ``run:``, ``docker://`` actions and the job's outputs step (``shell/step``).

The script is passed verbatim; every ``${{ }}`` in it becomes a shell variable whose value is an
``env`` line of the step (:mod:`.shellwords`), so a value never becomes code.
"""

from __future__ import annotations

import re
import shlex

from wfsync.convert.gha import script as drivers
from wfsync.convert.gha.argo import library_call, named
from wfsync.convert.gha.expressions import find_expressions
from wfsync.convert.gha.jobstate import NAME, STEP_IMAGE, ArgoStep, JobState, StepProblem
from wfsync.convert.gha.model import Step
from wfsync.convert.gha.shellwords import script_word
from wfsync.convert.gha.translate import Scope
from wfsync.convert.gha.values import argo_text, env_value
from wfsync.convert.gha.yaml12 import scalar_text

_WORKSPACE_PREFIX = re.compile(r"^\$\{\{\s*github\.workspace\s*\}\}/?", flags=re.IGNORECASE)


def run_step(job: JobState, step: Step, run: str, shell_value: object, image: str | None = None) -> ArgoStep:
    """A ``shell/step`` call: the script verbatim, ``${{ }}`` values as env lines."""
    job.uses_step = True
    shell = scalar_text(shell_value) if shell_value not in (None, "") else job.default_shell
    if shell in ("pwsh", "powershell"):
        job.attend(step, "PowerShell needs an image that has pwsh")
    if shell == "cmd":
        raise StepProblem("shell cmd is Windows only")
    job.secret_used = job.job_secret
    scope = job.step_scope(step)
    env = _step_env(job, step, scope)
    taken = {*scope.env, *scope.dynamic_env, *env}
    params: dict[str, str] = {"job": job.workdir}
    params["script"] = drivers.escape_braces(_script(job, run, shell, scope, env, taken))
    if shell:
        params["shell"] = shell
    wd = step.raw.get("working-directory") or job.default_wd
    if wd not in (None, ""):
        # Relative to the job's folder, which is github.workspace: the same place, written
        # without the pod path (a local run keeps the workspace elsewhere).
        wd_text = _WORKSPACE_PREFIX.sub("", scalar_text(wd))
        if wd_text:
            params["working-directory"] = argo_text(job, wd_text, step, [])
    if env:
        params["env"] = drivers.env_lines(env)
    if step.id in job.runtime_conditions:
        params["condition"] = drivers.escape_braces(job.runtime_conditions[step.id])
    params.update(_run_options(job, step, image or job.image))
    if "GITHUB_ENV" in run:
        job.env_written = True
    return library_call("shell", "step", params)


def _step_env(job: JobState, step: Step, scope: Scope) -> dict[str, str]:
    """The step's env lines: what a rule added to the job's env after setup, then the step's ``env``."""
    env: dict[str, str] = {}
    # What a rule added to the job's env after setup (like GITHUB_ENV of an earlier step).
    for key, value in job.static_env.items():
        if NAME.match(key) and job.setup_env.get(key) != drivers.env_value(value):
            env[key] = drivers.env_value(value)
    step_env = step.raw.get("env")
    for key, value in step_env.items() if isinstance(step_env, dict) else []:
        if NAME.match(str(key)):
            env[str(key)] = env_value(job, scalar_text(value), scope)
    return env


def _script(
    job: JobState, run: str, shell: str | None, scope: Scope, env: dict[str, str], taken: set[str]
) -> str:
    """The script with each ``${{ }}`` as a shell variable (quoted to match where it stands)."""
    spans = find_expressions(run)
    if not spans:
        return run
    if not drivers.is_posix_shell(shell):
        raise StepProblem(f"${{{{ }}}} in a {shell} script cannot be passed safely; move it to env:")
    names: dict[str, str] = {}
    out, pos = [], 0
    for span in spans:
        word = script_word(job, span.expression, scope, env, names, taken)
        quoted = drivers.quote_state(run, span.start) == "'"
        out += [run[pos : span.start], f"'\"{word}\"'" if quoted else word]
        pos = span.end
    return "".join(out) + run[pos:]


def _run_options(job: JobState, step: Step, image: str) -> dict[str, str]:
    """The parameters every ``shell/step`` call may take: image, secrets, credentials, timeout."""
    params: dict[str, str] = {}
    if image != STEP_IMAGE:
        params["image"] = image
    if job.secret_used:
        params["secret-env"] = "github-secrets"
    if job.credentials_secret:
        params["credentials-env"] = job.credentials_secret
    timeout = job.timeout(step)
    if timeout:
        params["timeout"] = timeout
    return params


def docker_step(job: JobState, step: Step) -> ArgoStep:
    """``uses: docker://image``: ``entrypoint args`` run with sh in that image."""
    image = (step.uses or "")[len("docker://") :]
    inputs = step.raw.get("with") or {}
    entrypoint = scalar_text(inputs.get("entrypoint")) if isinstance(inputs, dict) else ""
    args = scalar_text(inputs.get("args")) if isinstance(inputs, dict) else ""
    run = f"{entrypoint} {args}".strip() or "true"
    return run_step(job, step, run, "sh", image=image)


_OUTPUTS_PRELUDE = [
    "# The job's outputs: each value as a KEY<<DELIMITER block, with a delimiter not in it.",
    "out() {",
    '  d=EOF; while printf \'%s\\n\' "$2" | grep -qx "$d"; do d="$d-"; done',
    '  printf \'%s<<%s\\n%s\\n%s\\n\' "$1" "$d" "$2" "$d" >> "$GITHUB_OUTPUT"',
    "}",
]


def outputs_step(job: JobState) -> None:
    """The last step ``wfsync-outputs``: writes the job's ``outputs`` for the jobs that need it."""
    outputs = job.job.raw.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        return
    job.plan.has_outputs = True
    job.secret_used = job.job_secret
    job.uses_step = True
    if job.matrix:
        job.report.attend(f"job {job.job.id}: outputs of a matrix job are its last leg's")
    scope = job.scope()
    env: dict[str, str] = {}
    lines = list(_OUTPUTS_PRELUDE)
    taken: set[str] = set()
    for key, value in outputs.items():
        try:
            text = env_value(job, scalar_text(value), scope)
        except StepProblem as problem:
            job.report.attend(f"job {job.job.id}: output {key} not converted ({problem})")
            continue
        name = drivers.var_name(["output", str(key)], taken)
        env[name] = text
        lines.append(f'out {shlex.quote(str(key))} "${{{name}}}"')
    params = {"job": job.workdir, "script": "\n".join(lines) + "\n", "shell": "sh"}
    if env:
        params["env"] = drivers.env_lines(env)
    if job.image != STEP_IMAGE:
        params["image"] = job.image
    if job.secret_used:
        params["secret-env"] = "github-secrets"
    job.post.append(named("wfsync-outputs", library_call("shell", "step", params)))

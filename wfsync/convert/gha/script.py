"""The POSIX ``sh`` driver around one ``run:`` step, passed base64 to the library's ``shell/run``.

It does what the GitHub runner does around a step, inside the job's workspace: read ``GITHUB_ENV``
and ``GITHUB_PATH`` written by earlier steps (kept under ``/workspace/.cache/wfsync-gha``), export
the step's environment, run the user's script file with the step's shell, then keep this step's
``GITHUB_OUTPUT``/``GITHUB_ENV``/``GITHUB_PATH`` for later steps. Values of ``${{ }}`` reach the
user's script only as environment variables: constants are single-quoted here, run-time values
arrive base64 encoded from Argo and are decoded, so no value is ever parsed as shell code.
"""

from __future__ import annotations

import base64
import hashlib
import shlex
from dataclasses import dataclass, field

from wfsync.convert.gha.driver_eval import EVAL_HELPER

WORKSPACE_ROOT = "${WFSYNC_ROOT}"
"""The workspace volume, found at run time: ``shell/run`` starts the driver in it (``/workspace``
in a pod). Not written as ``/workspace``: the driver travels base64 encoded, so a local engine
that maps pod paths to host folders cannot see (and map) paths inside it."""
STATE_ROOT = f"{WORKSPACE_ROOT}/.cache/wfsync-gha"

_PARSE = r"""delim!=""{if($0==delim){delim="";E(cur,val)}else{val=first?$0:val"\n"$0;first=0};next}
{i=index($0,"<<");j=index($0,"=")}
i>0&&(j==0||i<j){cur=substr($0,1,i-1);delim=substr($0,i+2);val="";first=1;next}
j>0{E(substr($0,1,j-1),substr($0,j+1))}"""
"""awk rules reading an env file (KEY=VALUE lines and KEY<<DELIMITER blocks); ``E`` gets each entry."""

HELPERS = {
    "wfsync_b64": "wfsync_b64() { printf '%s' \"$1\" | base64 -d; }",
    # The value of key $2 in the env file $1 (last one wins).
    "wfsync_get": 'wfsync_get() { [ -f "$1" ] || return 0; awk -v key="$2" \'\nfunction E(k,v){if(k==key){out=v;has=1}}\n'
    + _PARSE
    + '\nEND{if(has)printf "%s",out}\' "$1"; }',
    # Shell assignments for every entry of the env file $1, values single-quoted, bad names skipped.
    "wfsync_exports": 'wfsync_exports() { [ -f "$1" ] || return 0; awk \'\nfunction E(k,v){if(k~/^[A-Za-z_][A-Za-z0-9_]*$/){gsub(/\\047/,"\\047\\\\\\047\\047",v);printf "export %s=\\047%s\\047\\n",k,v}}\n'
    + _PARSE
    + '\' "$1"; }',
    # Output $2 of the upstream job $1 (base64 KEY=VALUE lines in $WFSYNC_NEEDS_<job>).
    "wfsync_eval": EVAL_HELPER,
    "wfsync_need": 'wfsync_need() { eval "wfsync_l=\\${WFSYNC_NEEDS_$1:-}"; printf \'%s\' "$wfsync_l" | base64 -d > "$WFSYNC_STATE/needs" 2>/dev/null || :; wfsync_get "$WFSYNC_STATE/needs" "$2" | base64 -d; }',
}
_NEEDS = {"wfsync_need": ("wfsync_get",)}


@dataclass
class Driver:
    """Builds one step's driver script."""

    state: str
    """The job's state directory (absolute; may use ``$WFSYNC_LEG``, so it goes in double quotes)."""
    workspace: str
    """The job's ``GITHUB_WORKSPACE`` (absolute, double-quoted like ``state``)."""
    step_id: str
    exports: list[str] = field(default_factory=list)
    base_exports: list[str] = field(default_factory=list)
    """Exports that ``GITHUB_ENV`` of earlier steps overrides (workflow and job ``env``)."""
    unset: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    """Commands the driver itself runs after the exports (they may use the helpers)."""

    def export(self, name: str, shell_word: str, *, base: bool = False) -> None:
        """``export NAME=<word>``; ``shell_word`` is already safe shell (quoted or a decoder)."""
        (self.base_exports if base else self.exports).append(f"export {name}={shell_word}")

    def _helpers(self) -> list[str]:
        """The helper functions this driver uses (each costs space in the workflow)."""
        text = "\n".join(self.base_exports + self.exports + self.commands)
        wanted = ["wfsync_exports"] + [
            name for name in ("wfsync_b64", "wfsync_get", "wfsync_need", "wfsync_eval") if name in text
        ]
        for name in list(wanted):
            wanted.extend(_NEEDS.get(name, ()))
        return [HELPERS[name] for name in HELPERS if name in wanted]

    @staticmethod
    def _with_commands(command: list[str], step_dir: str) -> list[str]:
        """Run the step with its stdout kept, then apply the workflow commands it printed."""
        return [
            f"{{ {' '.join(command)}; echo $? > {step_dir}/rc; }} | tee {step_dir}/log",
            f"wfsync_code=$(cat {step_dir}/rc 2>/dev/null || echo 1)",
            'awk -v allow="${ACTIONS_ALLOW_UNSECURE_COMMANDS:-}" -v out="$GITHUB_OUTPUT" '
            f'-v env="$GITHUB_ENV" -v path="$GITHUB_PATH" \'{_COMMANDS}\' {step_dir}/log',
        ]

    def script(self, user_script: str, command: list[str], working_directory: str, header: str) -> str:
        """The driver: prologue, the user's script as a file, the shell command, epilogue."""
        delimiter = "WFSYNC_SCRIPT_" + hashlib.sha256(user_script.encode()).hexdigest()[:16]
        step_dir = f'"$WFSYNC_STATE/steps/{self.step_id}"'
        lines = [
            f"# {header}",
            "set -e",
            'WFSYNC_ROOT="$(pwd)"',
            f'WFSYNC_STATE="{self.state}"',
            f'mkdir -p {step_dir} "{self.workspace}"',
            *self._helpers(),
            'if [ -f "$WFSYNC_STATE/path" ]; then while IFS= read -r p; do [ -n "$p" ] && PATH="$p:$PATH"; done < "$WFSYNC_STATE/path"; export PATH; fi',
            # The runner's HOME and temp folder last for the whole job (each step is its own pod).
            'mkdir -p "$WFSYNC_STATE/home" "$WFSYNC_STATE/tmp"',
            'export HOME="$WFSYNC_STATE/home" TMPDIR="$WFSYNC_STATE/tmp" RUNNER_TEMP="$WFSYNC_STATE/tmp"',
            f'export GITHUB_WORKSPACE="{self.workspace}" CI=true GITHUB_ACTIONS=true RUNNER_OS=Linux',
            f"export GITHUB_PATH={step_dir}/path GITHUB_STEP_SUMMARY={step_dir}/summary.md",
            ': > "$GITHUB_PATH"',
            *self.base_exports,
            'eval "$(wfsync_exports "$WFSYNC_STATE/env")"',
            *self.exports,
            *(f"unset {name}" for name in self.unset),
            *self.commands,
            f"cd {working_directory}",
            f'wfsync_script="$WFSYNC_STATE/steps/{self.step_id}/script"',
            f"cat > \"$wfsync_script\" <<'{delimiter}'",
            user_script.rstrip("\n"),
            delimiter,
            "set +e",
            *(
                self._with_commands(command, step_dir)
                if "::" in user_script
                else [" ".join(command), "wfsync_code=$?"]
            ),
            "set -e",
            f'cp "$GITHUB_OUTPUT" {step_dir}/output 2>/dev/null || :',
            'cat "$GITHUB_ENV" >> "$WFSYNC_STATE/env" 2>/dev/null || :',
            'cat "$GITHUB_PATH" >> "$WFSYNC_STATE/path" 2>/dev/null || :',
            'exit "$wfsync_code"',
        ]
        return "\n".join(lines) + "\n"


_COMMANDS = r"""{sub(/[ \t\r]+$/, "")}
stop!=""{if($0=="::"stop"::")stop="";next}
/^::stop-commands::/{stop=substr($0,18);next}
/^::set-output name=/{s=substr($0,19);i=index(s,"::");if(i>0)print substr(s,1,i-1)"="substr(s,i+2)>>out;next}
allow=="true"&&/^::set-env name=/{s=substr($0,16);i=index(s,"::");if(i>0)print substr(s,1,i-1)"="substr(s,i+2)>>env;next}
allow=="true"&&/^::add-path::/{print substr($0,13)>>path;next}"""
"""awk rules for the deprecated workflow commands a step prints (``set-env`` and ``add-path`` only
with ``ACTIONS_ALLOW_UNSECURE_COMMANDS=true``, as on GitHub); ``stop-commands`` pauses them."""


def shell_command(shell: str | None) -> tuple[list[str], str | None]:
    """The command that runs ``"$wfsync_script"`` for a GitHub ``shell:``, and a note if approximate."""
    script = '"$wfsync_script"'
    if shell is None:
        return [
            "if command -v bash >/dev/null 2>&1; then bash -e",
            script,
            "; else sh -e",
            script,
            "; fi",
        ], None
    name = shell.strip()
    if name == "bash":
        return ["bash --noprofile --norc -eo pipefail", script], None
    if name == "sh":
        return ["sh -e", script], None
    if name == "python":
        return ["python", script], None
    if name in ("pwsh", "powershell"):
        return ["pwsh -command", "\". '$wfsync_script'\""], "PowerShell needs an image that has pwsh"
    if name == "cmd":
        return ["false"], "cmd is Windows only"
    words = shlex.split(name)
    if "{0}" not in words:
        return [*map(shlex.quote, words), script], None
    return [script if w == "{0}" else shlex.quote(w) for w in words], None


def is_posix_shell(shell: str | None) -> bool:
    """Whether ``${{ }}`` in the script can become ``${VAR}`` (sh-family shells)."""
    if shell is None:
        return True
    first = shlex.split(shell)[0] if shell.strip() else ""
    return first.rsplit("/", 1)[-1] in ("bash", "sh", "dash", "zsh", "ksh")


def quote_state(script: str, end: int) -> str:
    """The shell quoting at offset ``end``: ``'`` or ``"`` inside quotes, ``''`` outside.

    A ``${{ }}`` inside single quotes becomes ``'"${VAR}"'`` so that its value still arrives
    (GitHub splices the text there; the variable keeps it data). Comments and heredocs are
    read as plain text, which is close enough for where expressions appear in scripts.
    """
    state, i = "", 0
    while i < end:
        char = script[i]
        if state == "'":
            if char == "'":
                state = ""
        elif char == "\\":
            i += 1
        elif state == '"':
            if char == '"':
                state = ""
        elif char in ("'", '"'):
            state = char
        elif char == "#" and (i == 0 or script[i - 1] in " \t\n;"):
            newline = script.find("\n", i)
            if newline == -1 or newline >= end:
                return ""
            i = newline
        i += 1
    return state


def encode(script: str) -> str:
    """Base64 of the driver: Argo substitutes ``{{`` in parameters, base64 has none."""
    return base64.b64encode(script.encode()).decode()


def env_condition(tree: object) -> str | None:
    """A POSIX test for an ``if:`` over ``env`` and literals, or None when it uses anything else.

    Such conditions are decided by the driver at run time, because ``GITHUB_ENV`` written by an
    earlier step changes ``env``. Comparisons are case-insensitive like GitHub's; a string is
    true when not empty.
    """
    from wfsync.convert.gha.expressions.nodes import Compare, ContextRef, Index, Literal, Logical, Not

    def operand(node: object) -> str | None:
        if isinstance(node, Literal):
            if isinstance(node.value, bool):
                return shlex.quote("true" if node.value else "false")
            if node.value is None:
                return "''"
            if isinstance(node.value, float) and node.value.is_integer():
                return shlex.quote(str(int(node.value)))
            return shlex.quote(str(node.value).lower())
        if (
            isinstance(node, Index)
            and isinstance(node.target, ContextRef)
            and node.target.name.lower() == "env"
            and isinstance(node.index, Literal)
            and isinstance(node.index.value, str)
            and node.index.value.replace("_", "a").isalnum()
        ):
            return f'"$(printf %s "${{{node.index.value}:-}}" | tr "[:upper:]" "[:lower:]")"'
        return None

    def test(node: object) -> str | None:
        if isinstance(node, Not):
            inner = test(node.operand)
            return None if inner is None else f"! {{ {inner}; }}"
        if isinstance(node, Logical):
            parts = [test(a) for a in node.args]
            if any(p is None for p in parts):
                return None
            joiner = " && " if node.op == "&&" else " || "
            return "{ " + joiner.join(f"{{ {p}; }}" for p in parts if p) + "; }"
        if isinstance(node, Compare) and node.op in ("==", "!="):
            left, right = operand(node.left), operand(node.right)
            if left is None or right is None:
                return None
            return f"[ {left} {'=' if node.op == '==' else '!='} {right} ]"
        word = operand(node)
        if word is None or isinstance(node, Literal):
            return None
        return f"[ -n {word} ]"

    return test(tree)

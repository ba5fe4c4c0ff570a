"""Rule packs: data files that say how GitHub actions, runner labels and services map onto Argo.

A pack is a YAML file (see ``converters/gha/README.md``) with up to three lists: ``actions``,
``runners`` and ``services``. String values in ``steps`` and ``image`` are Jinja2 templates with
``[[ ]]``/``[% %]`` delimiters, so that GitHub's ``${{ }}`` and Argo's ``{{ }}`` pass through as
plain text. Packs are checked when loaded; a mistake names the pack file and line. Later packs
(``--rules DIR``) take precedence over the built-in ones.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import jinja2.sandbox

from wfsync.convert.gha.yaml12 import YamlError, YNode, load
from wfsync.errors import InputError

_PACKAGED_RULES = Path(__file__).resolve().parent / "packs"
"""Where a wheel carries the built-in packs (``converters/gha`` force-included at build time)."""
_SOURCE_RULES = Path(__file__).resolve().parents[3] / "converters" / "gha"
"""The documented location in a source checkout, which users read and copy."""
BUILTIN_RULES = _PACKAGED_RULES if _PACKAGED_RULES.is_dir() else _SOURCE_RULES
VERDICTS = ("known", "partial", "unsupported")

_ENV = jinja2.sandbox.ImmutableSandboxedEnvironment(
    variable_start_string="[[",
    variable_end_string="]]",
    block_start_string="[%",
    block_end_string="%]",
    comment_start_string="[#",
    comment_end_string="#]",
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
    autoescape=False,
)


class RuleError(InputError):
    """A rule pack that cannot be used (names the file and line)."""


@dataclass(frozen=True)
class StepTemplate:
    """One Argo step a rule emits: a library template and its parameters (templates)."""

    template: str
    parameters: dict[str, jinja2.Template]
    name: str | None = None
    position: str = "here"
    """``here``, or ``post`` for work that runs when the job's steps are done (cache save)."""


@dataclass(frozen=True)
class SecretEnv:
    """A Secret whose keys later run steps of the job get as environment variables (credentials).

    ``keys`` must be in the Secret, ``optional`` may be; both are listed in the report's manual
    tasks so that whoever creates the Secret knows what to put in it. Values never enter the YAML.
    """

    secret: str
    keys: tuple[str, ...]
    optional: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActionRule:
    """How one action (``owner/repo[/path]``, matched case-insensitively, any ref) converts."""

    uses: str
    verdict: str
    note: str
    steps: tuple[StepTemplate, ...]
    image: jinja2.Template | None
    secrets: tuple[str, ...]
    source: str
    env_from_secret: SecretEnv | None = None
    """Credentials later run steps of the job read from a Secret (``env-from-secret``)."""
    env: dict[str, jinja2.Template] = field(default_factory=dict)
    """Plain environment variables (templates) for the later run steps of the job (``env``)."""

    def matches(self, uses: str) -> bool:
        """Whether this rule handles ``uses`` (``owner/repo@ref``, a pattern may use ``*``)."""
        name = uses.split("@", 1)[0].lower()
        return fnmatch.fnmatchcase(name, self.uses.lower())


@dataclass(frozen=True)
class RunnerRule:
    """Runner labels (patterns) and the image that replaces such a runner."""

    labels: tuple[str, ...]
    verdict: str
    image: str | None
    note: str
    source: str

    def matches(self, label: str) -> bool:
        """Whether ``label`` is one of this rule's labels."""
        return any(fnmatch.fnmatchcase(label.lower(), p.lower()) for p in self.labels)


@dataclass(frozen=True)
class ServiceRule:
    """A service image pattern and how Argo knows the service is ready."""

    image: str
    readiness: tuple[str, ...]
    note: str
    source: str

    def matches(self, image: str) -> bool:
        """Whether a service image (``name:tag``) matches."""
        return fnmatch.fnmatchcase(image.lower(), self.image.lower())


@dataclass
class RuleSet:
    """Every rule loaded, in precedence order (user packs first)."""

    actions: list[ActionRule] = field(default_factory=list)
    runners: list[RunnerRule] = field(default_factory=list)
    services: list[ServiceRule] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def action(self, uses: str) -> ActionRule | None:
        """The first rule for an action; a public action no rule maps runs generically."""
        return next((r for r in self.actions if r.matches(uses)), None) or generic_rule(uses)

    def runner(self, label: str) -> RunnerRule | None:
        """The first rule for a runner label."""
        return next((r for r in self.runners if r.matches(label)), None)

    def service(self, image: str) -> ServiceRule | None:
        """The first rule for a service image."""
        return next((r for r in self.services if r.matches(image)), None)


GENERIC = "generic"
"""The verdict of a step that runs an action as GitHub does, through ``github-action/run``."""
GENERIC_TEMPLATE = "github-action/run"
_PUBLIC_ACTION = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[^@\s]+$")
_HEREDOC = "WFSYNC_EOF"


def _lines(values: Mapping[str, object]) -> str:
    """``NAME=VALUE`` lines for ``github-action/run``; a value Argo fills at run time goes in a block.

    A ``${{ }}`` left in a value becomes an Argo tag, whose value may hold a line break or start
    with ``"`` or ``$`` (which mean JSON and a variable on a line): a ``NAME<<DELIMITER`` block
    keeps such a value verbatim.
    """
    out = []
    for name, value in values.items():
        text = str(value)
        if "${{" in text or "\n" in text or "\r" in text or text[:1] in ('"', "$"):
            delimiter = _HEREDOC
            while delimiter in text:
                delimiter += "_"
            out.append(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")
        else:
            out.append(f"{name}={text}\n")
    return "".join(out)


_GENERIC_ENV = jinja2.sandbox.ImmutableSandboxedEnvironment(
    variable_start_string="[[", variable_end_string="]]", undefined=jinja2.StrictUndefined, autoescape=False
)
_GENERIC_ENV.globals["lines"] = _lines
_GENERIC_STEP = StepTemplate(
    GENERIC_TEMPLATE,
    {
        "action": _GENERIC_ENV.from_string("[[ uses ]]@[[ ref ]]"),
        "job": _GENERIC_ENV.from_string("[[ workdir ]]"),
        "inputs": _GENERIC_ENV.from_string("[[ lines(inputs) ]]"),
    },
)


def generic_rule(uses: str) -> ActionRule | None:
    """How a public action without a rule converts: ``github-action/run`` fetches and runs it.

    ``owner/repo[/path]@ref`` only: local (``./``) actions are inlined by the converter and
    ``docker://`` images run as they are. The step's verdict is ``generic`` and its note names
    the ref that will be fetched at run time.
    """
    if not _PUBLIC_ACTION.match(uses):
        return None
    return ActionRule(
        uses=uses.split("@", 1)[0],
        verdict=GENERIC,
        note=f"{uses} runs as on GitHub: {GENERIC_TEMPLATE} fetches it at run time",
        steps=(_GENERIC_STEP,),
        image=None,
        secrets=(),
        source="the generic action runner (wfsync.convert.gha.rules)",
    )


class Inputs(dict[str, str]):
    """An action's ``with:`` for templates: an input that was not given reads as ``''``."""

    def __missing__(self, key: str) -> str:
        return ""


def render(template: jinja2.Template, variables: Mapping[str, object], where: str) -> str:
    """Render a rule template; an error names the rule."""
    try:
        return template.render(**variables)
    except jinja2.TemplateError as err:
        raise RuleError(f"rule {where}: {err}") from None


def load_rules(extra: Iterable[Path] = ()) -> RuleSet:
    """The built-in packs plus packs from ``extra`` folders (or files), which take precedence."""
    rules = RuleSet()
    paths: list[Path] = []
    for folder in [*extra]:
        if folder.is_file():
            paths.append(folder)
        elif folder.is_dir():
            paths.extend(sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml")))
        else:
            raise RuleError("no such rules file or folder", path=folder)
    paths.extend(sorted(BUILTIN_RULES.glob("*.yaml")))
    for path in paths:
        _load_pack(path, rules)
    return rules


_PACK_KEYS = {"kind", "description", "actions", "runners", "services"}
_ACTION_KEYS = {"uses", "verdict", "note", "steps", "image", "secrets", "env-from-secret", "env"}
_SECRET_ENV_KEYS = {"secret", "keys", "optional"}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_STEP_KEYS = {"template", "name", "parameters", "position"}
_RUNNER_KEYS = {"labels", "verdict", "image", "note"}
_SERVICE_KEYS = {"image", "readiness", "note"}
KIND = "wfsync/gha-rules"


def _load_pack(path: Path, rules: RuleSet) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise RuleError(f"cannot read rule pack: {err.strerror}", path=path) from None
    try:
        root = load(text)
    except YamlError as err:
        raise RuleError(f"invalid YAML: {err.message}", path=path, line=err.line) from None
    if root is None or root.kind != "mapping":
        raise RuleError("a rule pack is a mapping with 'kind: wfsync/gha-rules'", path=path, line=1)
    _keys(root, _PACK_KEYS, path, "rule pack")
    kind = root.get("kind")
    if kind is None or kind.value != KIND:
        raise RuleError(f"'kind' must be {KIND}", path=path, line=kind.line if kind else root.line)
    rules.files.append(path)
    for node in _items(root.get("actions"), path, "actions"):
        rules.actions.append(_action(node, path))
    for node in _items(root.get("runners"), path, "runners"):
        rules.runners.append(_runner(node, path))
    for node in _items(root.get("services"), path, "services"):
        rules.services.append(_service(node, path))


def _items(node: YNode | None, path: Path, what: str) -> list[YNode]:
    if node is None:
        return []
    if node.kind != "sequence":
        raise RuleError(f"'{what}' must be a list", path=path, line=node.line)
    for item in node.items:
        if item.kind != "mapping":
            raise RuleError(f"each entry of '{what}' must be a mapping", path=path, line=item.line)
    return node.items


def _keys(node: YNode, allowed: set[str], path: Path, what: str) -> None:
    for key, _ in node.pairs:
        if key.text() not in allowed:
            raise RuleError(
                f"unknown key '{key.text()}' in {what} (allowed: {', '.join(sorted(allowed))})",
                path=path,
                line=key.line,
            )


def _string(node: YNode, key: str, path: Path, *, required: bool = False, default: str = "") -> str:
    value = node.get(key)
    if value is None:
        if required:
            raise RuleError(f"'{key}' is required", path=path, line=node.line)
        return default
    if value.kind not in ("string", "number", "boolean"):
        raise RuleError(f"'{key}' must be a string", path=path, line=value.line)
    return value.text()


def _strings(node: YNode, key: str, path: Path) -> tuple[str, ...]:
    value = node.get(key)
    if value is None:
        return ()
    if value.kind == "string":
        return (value.value,)
    if value.kind != "sequence" or any(i.kind not in ("string", "number") for i in value.items):
        raise RuleError(f"'{key}' must be a string or a list of strings", path=path, line=value.line)
    return tuple(i.text() for i in value.items)


def _verdict(node: YNode, path: Path) -> str:
    verdict = _string(node, "verdict", path, default="known")
    if verdict not in VERDICTS:
        line = node.get("verdict").line  # type: ignore[union-attr]
        raise RuleError(
            f"'verdict' must be one of {', '.join(VERDICTS)}, not '{verdict}'", path=path, line=line
        )
    return verdict


def _template(text: str, path: Path, line: int) -> jinja2.Template:
    try:
        return _ENV.from_string(text)
    except jinja2.TemplateSyntaxError as err:
        raise RuleError(
            f"template error: {err.message}", path=path, line=line + (err.lineno or 1) - 1
        ) from None


def _action(node: YNode, path: Path) -> ActionRule:
    _keys(node, _ACTION_KEYS, path, "an action rule")
    uses = _string(node, "uses", path, required=True)
    if "@" in uses or uses.count("/") < 1:
        raise RuleError(f"'uses' is owner/repo[/path] without @ref, got '{uses}'", path=path, line=node.line)
    steps = []
    for step in _items(node.get("steps"), path, "steps"):
        _keys(step, _STEP_KEYS, path, "a rule step")
        template = _string(step, "template", path, required=True)
        if template.count("/") != 1 or not all(template.split("/")):
            raise RuleError(f"'template' is family/template, got '{template}'", path=path, line=step.line)
        position = _string(step, "position", path, default="here")
        if position not in ("here", "post"):
            raise RuleError("'position' is 'here' or 'post'", path=path, line=step.line)
        params_node = step.get("parameters")
        parameters: dict[str, jinja2.Template] = {}
        if params_node is not None:
            if params_node.kind != "mapping":
                raise RuleError("'parameters' must be a mapping", path=path, line=params_node.line)
            for key, value in params_node.pairs:
                if value.kind in ("mapping", "sequence"):
                    raise RuleError(f"parameter '{key.text()}' must be a string", path=path, line=value.line)
                parameters[key.text()] = _template(value.text(), path, value.line)
        name = step.get("name")
        steps.append(StepTemplate(template, parameters, name.text() if name else None, position))
    image = node.get("image")
    return ActionRule(
        uses=uses,
        verdict=_verdict(node, path),
        note=_string(node, "note", path),
        steps=tuple(steps),
        image=_template(image.text(), path, image.line) if image is not None else None,
        secrets=_strings(node, "secrets", path),
        source=f"{path}:{node.line}",
        env_from_secret=_secret_env(node.get("env-from-secret"), path),
        env=_env_templates(node.get("env"), path),
    )


def _env_names(node: YNode, key: str, path: Path) -> tuple[str, ...]:
    names = _strings(node, key, path)
    for name in names:
        if not _ENV_NAME.match(name):
            line = node.get(key).line  # type: ignore[union-attr]
            raise RuleError(f"'{key}': {name!r} is not an environment variable name", path=path, line=line)
    return names


def _secret_env(node: YNode | None, path: Path) -> SecretEnv | None:
    """``env-from-secret: {secret: NAME, keys: [...], optional: [...]}``, checked."""
    if node is None:
        return None
    if node.kind != "mapping":
        raise RuleError(
            "'env-from-secret' must be a mapping (secret, keys, optional)", path=path, line=node.line
        )
    _keys(node, _SECRET_ENV_KEYS, path, "env-from-secret")
    secret = _string(node, "secret", path, required=True)
    if not _SECRET_NAME.match(secret):
        line = node.get("secret").line  # type: ignore[union-attr]
        raise RuleError(f"'secret': {secret!r} is not a Kubernetes Secret name", path=path, line=line)
    keys = _env_names(node, "keys", path)
    if not keys:
        raise RuleError("'keys' is required (the Secret's keys later steps read)", path=path, line=node.line)
    return SecretEnv(secret, keys, _env_names(node, "optional", path))


def _env_templates(node: YNode | None, path: Path) -> dict[str, jinja2.Template]:
    """``env: {NAME: template}``: plain (not secret) values for later run steps."""
    if node is None:
        return {}
    if node.kind != "mapping":
        raise RuleError("'env' must be a mapping of NAME: value", path=path, line=node.line)
    env: dict[str, jinja2.Template] = {}
    for key, value in node.pairs:
        if not _ENV_NAME.match(key.text()):
            raise RuleError(
                f"'env': {key.text()!r} is not an environment variable name", path=path, line=key.line
            )
        if value.kind in ("mapping", "sequence"):
            raise RuleError(f"'env': {key.text()} must be a string", path=path, line=value.line)
        env[key.text()] = _template(value.text(), path, value.line)
    return env


def _runner(node: YNode, path: Path) -> RunnerRule:
    _keys(node, _RUNNER_KEYS, path, "a runner rule")
    labels = _strings(node, "labels", path)
    if not labels:
        raise RuleError("'labels' is required", path=path, line=node.line)
    image = node.get("image")
    return RunnerRule(
        labels=labels,
        verdict=_verdict(node, path),
        image=image.text() if image is not None else None,
        note=_string(node, "note", path),
        source=f"{path}:{node.line}",
    )


def _service(node: YNode, path: Path) -> ServiceRule:
    _keys(node, _SERVICE_KEYS, path, "a service rule")
    return ServiceRule(
        image=_string(node, "image", path, required=True),
        readiness=_strings(node, "readiness", path),
        note=_string(node, "note", path),
        source=f"{path}:{node.line}",
    )

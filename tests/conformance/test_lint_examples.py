"""Lint over Argo's own examples: no false positives, and every injected defect is caught.

The examples folder is linted as a whole (references across files resolve). Three examples are
really invalid; each is named below with the reason, and any other finding fails the test.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from wfsync.lint.linter import LintOptions, lint_paths

KNOWN_INVALID = {
    "fun-with-gifs.yaml": ("schema-required", "generateName is indented into metadata.labels, so no name"),
    "k8s-jobs.yaml": ("schema-required", "metadata.name is swallowed by the no-test-reasons block scalar"),
    "k8s-patch-json-workflow.yaml": (
        "yaml-syntax",
        "metadata.annotations appears twice; strict decoding rejects it",
    ),
}


def test_examples_lint_without_false_positives(argo_examples: Path) -> None:
    report = lint_paths([argo_examples], LintOptions())
    unexpected = [
        f"{f.path.name}:{f.line}: {f.rule}: {f.message}"
        for f in report.findings
        if KNOWN_INVALID.get(f.path.name, ("",))[0] != f.rule
    ]
    caught = {f.path.name for f in report.findings}
    print(
        f"\nlinted {report.documents} documents in {report.files} files: "
        f"{len(report.findings)} findings, all in the {len(KNOWN_INVALID)} known-invalid examples; "
        f"{len(report.skipped)} non-Argo documents skipped"
    )
    assert not unexpected, "false positives:\n" + "\n".join(unexpected)
    assert caught == set(KNOWN_INVALID), f"known-invalid examples not caught: {set(KNOWN_INVALID) - caught}"
    assert report.documents >= 225


@dataclasses.dataclass(frozen=True)
class Mutation:
    """One injected defect: which example, how, the rule expected and text on the expected (last such) line.

    ``at`` is the text of that line the column must point at (its first character); ``suggestion``
    the name "did you mean" must offer.
    """

    id: str
    example: str
    mutate: Callable[[list[dict[str, Any]]], None]
    rule: str
    marker: str
    at: str = ""
    suggestion: str | None = None


def _tmpl(docs: list[dict[str, Any]], name: str, doc: int = 0) -> dict[str, Any]:
    return next(t for t in docs[doc]["spec"]["templates"] if t["name"] == name)


def _set(path: list[Any], value: Any, doc: int = 0) -> Callable[[list[dict[str, Any]]], None]:
    def apply(docs: list[dict[str, Any]]) -> None:
        target: Any = docs[doc]
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return apply


def _steps_hello1(docs: list[dict[str, Any]]) -> dict[str, Any]:
    step: dict[str, Any] = _tmpl(docs, "hello-hello-hello")["steps"][0][0]
    return step


def _dag_task(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    task: dict[str, Any] = next(t for t in _tmpl(docs, "diamond")["dag"]["tasks"] if t["name"] == name)
    return task


def _m_unknown_field(docs: list[dict[str, Any]]) -> None:
    _tmpl(docs, "print-message")["container"]["imagePullPolicyy"] = "Always"


def _m_wrong_type(docs: list[dict[str, Any]]) -> None:
    _tmpl(docs, "print-message")["container"]["command"] = "echo"


def _m_missing_required(docs: list[dict[str, Any]]) -> None:
    _steps_hello1(docs)["arguments"]["parameters"][0].pop("name")
    _steps_hello1(docs)["arguments"]["parameters"][0]["value"] = "no-name-marker"


def _m_bad_template_name(docs: list[dict[str, Any]]) -> None:
    _tmpl(docs, "print-message")["name"] = "print_message"
    for group in _tmpl(docs, "hello-hello-hello")["steps"]:
        for step in group:
            step["template"] = "print_message"


def _m_duplicate_template(docs: list[dict[str, Any]]) -> None:
    dup = copy.deepcopy(_tmpl(docs, "print-message"))
    dup["container"]["args"] = ["dup-marker"]
    docs[0]["spec"]["templates"].append(dup)


def _m_step_template_missing(docs: list[dict[str, Any]]) -> None:
    _steps_hello1(docs)["template"] = "print-mesage"


def _m_templateref_name(docs: list[dict[str, Any]]) -> None:
    _steps_hello1(docs)["templateRef"]["name"] = "workflow-template-print-mesage"


def _m_templateref_template(docs: list[dict[str, Any]]) -> None:
    _steps_hello1(docs)["templateRef"]["template"] = "print-mesage"


def _m_templateref_scope(docs: list[dict[str, Any]]) -> None:
    _steps_hello1(docs)["templateRef"]["clusterScope"] = True


def _m_templateref_input(docs: list[dict[str, Any]]) -> None:
    _steps_hello1(docs)["arguments"]["parameters"][0]["name"] = "mesage"


def _m_dag_cycle(docs: list[dict[str, Any]]) -> None:
    _dag_task(docs, "A")["depends"] = "D"


def _m_dag_missing_dep(docs: list[dict[str, Any]]) -> None:
    _dag_task(docs, "D")["depends"] = "B && E"


def _m_dag_mixed(docs: list[dict[str, Any]]) -> None:
    task = _dag_task(docs, "B")
    task.pop("depends")
    task["dependencies"] = ["A"]


def _m_dag_digit(docs: list[dict[str, Any]]) -> None:
    _dag_task(docs, "A")["name"] = "1a"
    for name in ("B", "C"):
        _dag_task(docs, name)["depends"] = "1a"


def _m_input_var(docs: list[dict[str, Any]]) -> None:
    _tmpl(docs, "print-message")["container"]["args"] = ["{{inputs.parameters.mesage}}"]


def _m_steps_var(docs: list[dict[str, Any]]) -> None:
    _tmpl(docs, "hello-hello-hello")["steps"][1][0]["arguments"]["parameters"][0]["value"] = (
        "{{steps.hello2b.id}}"
    )


def _m_tasks_var(docs: list[dict[str, Any]]) -> None:
    _dag_task(docs, "B")["arguments"]["parameters"][0]["value"] = "{{tasks.C.outputs.result}}"


def _m_workflow_param(docs: list[dict[str, Any]]) -> None:
    _tmpl(docs, "print-message")["container"]["args"] = ["{{workflow.parameters.mesage}}"]


def _m_item_without_loop(docs: list[dict[str, Any]]) -> None:
    _dag_task(docs, "B")["arguments"]["parameters"][0]["value"] = "{{item.name}}"


def _m_input_not_supplied(docs: list[dict[str, Any]]) -> None:
    _dag_task(docs, "C")["arguments"]["parameters"][0]["name"] = "msg"


def _m_timeout_nonleaf(docs: list[dict[str, Any]]) -> None:
    _tmpl(docs, "diamond")["timeout"] = "10s"


def _m_deadline_nonleaf(docs: list[dict[str, Any]]) -> None:
    _tmpl(docs, "diamond")["activeDeadlineSeconds"] = 10


def _m_parallelism_leaf(docs: list[dict[str, Any]]) -> None:
    _tmpl(docs, "echo")["parallelism"] = 2


def _m_bare_timeout(docs: list[dict[str, Any]]) -> None:
    _tmpl(docs, "echo")["timeout"] = "30"


def _m_when(docs: list[dict[str, Any]]) -> None:
    _dag_task(docs, "B")["when"] = "({{tasks.A.status}} == Succeeded"


def _m_entrypoint(docs: list[dict[str, Any]]) -> None:
    docs[0]["spec"]["entrypoint"] = "diamnod"


def _m_two_types(docs: list[dict[str, Any]]) -> None:
    _tmpl(docs, "echo")["script"] = {"image": "busybox", "source": "echo two-types"}


def _m_argument_local(docs: list[dict[str, Any]]) -> None:
    _steps_hello1(docs)["arguments"]["parameters"][0]["name"] = "mesage"


def _m_artifact_local(docs: list[dict[str, Any]]) -> None:
    _tmpl(docs, "print-message-from-file")["inputs"]["artifacts"][0]["name"] = "mesage"


def _m_volume_claim(docs: list[dict[str, Any]]) -> None:
    docs[0]["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] = "workdri"


def _m_volume(docs: list[dict[str, Any]]) -> None:
    docs[0]["spec"].pop("volumes")


def _library_call(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """hello1 calls buildkit.clone, a WorkflowTemplate's template that mounts the volume ``work``."""
    step = _steps_hello1(docs)
    step["templateRef"] = {"name": "buildkit", "template": "clone"}
    step["arguments"] = {"parameters": [{"name": "repo", "value": "r"}, {"name": "branch", "value": "b"}]}
    return step


def _m_volume_library(docs: list[dict[str, Any]]) -> None:
    _library_call(docs)


def _m_when_cut_short(docs: list[dict[str, Any]]) -> None:
    _dag_task(docs, "B")["when"] = '{{= {"A": {"s": tasks.A.status}}["A"]["s"] == "Succeeded" }}'


MUTATIONS = [
    Mutation("unknown-field", "steps.yaml", _m_unknown_field, "schema-unknown-field", "imagePullPolicyy"),
    Mutation("wrong-type", "steps.yaml", _m_wrong_type, "schema-type", "command: echo"),
    Mutation(
        "missing-required",
        "workflow-template/steps.yaml",
        _m_missing_required,
        "schema-required",
        "no-name-marker",
    ),
    Mutation(
        "template-name-format", "steps.yaml", _m_bad_template_name, "name-format", "- name: print_message"
    ),
    Mutation(
        "duplicate-template",
        "steps.yaml",
        _m_duplicate_template,
        "template-duplicate",
        "- name: print-message",
    ),
    Mutation(
        "step-template-missing", "steps.yaml", _m_step_template_missing, "template-not-found", "print-mesage"
    ),
    Mutation(
        "templateref-name",
        "workflow-template/steps.yaml",
        _m_templateref_name,
        "templateref-not-found",
        "print-mesage",
    ),
    Mutation(
        "templateref-template",
        "workflow-template/steps.yaml",
        _m_templateref_template,
        "templateref-not-found",
        "print-mesage",
    ),
    Mutation(
        "templateref-scope",
        "workflow-template/steps.yaml",
        _m_templateref_scope,
        "templateref-scope",
        "clusterScope",
    ),
    Mutation(
        "templateref-input",
        "workflow-template/steps.yaml",
        _m_templateref_input,
        "input-not-supplied",
        "name: hello1",
    ),
    Mutation("dag-cycle", "dag-diamond.yaml", _m_dag_cycle, "dag-cycle", "dag:"),
    Mutation(
        "dag-missing-dependency", "dag-diamond.yaml", _m_dag_missing_dep, "dag-dependency-missing", "B && E"
    ),
    Mutation("dag-depends-mixed", "dag-diamond.yaml", _m_dag_mixed, "dag-depends-mixed", "dag:"),
    Mutation("dag-task-digit", "dag-diamond.yaml", _m_dag_digit, "dag-task-name-digit", "name: 1a"),
    Mutation("input-variable", "steps.yaml", _m_input_var, "variable-unresolved", "inputs.parameters.mesage"),
    Mutation("steps-variable", "steps.yaml", _m_steps_var, "variable-unresolved", "steps.hello2b.id"),
    Mutation(
        "tasks-variable", "dag-diamond.yaml", _m_tasks_var, "variable-unresolved", "tasks.C.outputs.result"
    ),
    Mutation(
        "workflow-parameter",
        "steps.yaml",
        _m_workflow_param,
        "variable-unresolved",
        "workflow.parameters.mesage",
    ),
    Mutation(
        "item-without-loop", "dag-diamond.yaml", _m_item_without_loop, "variable-unresolved", "item.name"
    ),
    Mutation(
        "input-not-supplied", "dag-diamond.yaml", _m_input_not_supplied, "input-not-supplied", "- name: C"
    ),
    Mutation("timeout-non-leaf", "dag-diamond.yaml", _m_timeout_nonleaf, "field-not-allowed", "timeout: 10s"),
    Mutation(
        "deadline-non-leaf",
        "dag-diamond.yaml",
        _m_deadline_nonleaf,
        "field-not-allowed",
        "activeDeadlineSeconds",
    ),
    Mutation(
        "parallelism-leaf", "dag-diamond.yaml", _m_parallelism_leaf, "field-not-allowed", "parallelism: 2"
    ),
    Mutation("timeout-no-unit", "dag-diamond.yaml", _m_bare_timeout, "field-not-allowed", "timeout: '30'"),
    Mutation("when-syntax", "dag-diamond.yaml", _m_when, "when-syntax", "when:"),
    Mutation("entrypoint", "dag-diamond.yaml", _m_entrypoint, "entrypoint-missing", "entrypoint: diamnod"),
    Mutation("two-template-types", "dag-diamond.yaml", _m_two_types, "template-type", "- name: echo"),
    # issue 13: arguments no input takes, undeclared volumes, a {{= }} tag cut short, did you mean
    Mutation(
        "argument-unknown",
        "steps.yaml",
        _m_argument_local,
        "argument-unknown",
        "name: mesage",
        "mesage",
        "message",
    ),
    Mutation(
        "argument-unknown-templateref",
        "workflow-template/steps.yaml",
        _m_templateref_input,
        "argument-unknown",
        "name: mesage",
        "mesage",
        "message",
    ),
    Mutation(
        "artifact-unknown",
        "artifact-passing.yaml",
        _m_artifact_local,
        "argument-unknown",
        "name: message",
        "message",
        "mesage",
    ),
    Mutation(
        "volume-claim-undeclared",
        "volumes-pvc.yaml",
        _m_volume_claim,
        "volume-undeclared",
        "name: workdir",
        "workdir",
        "workdri",
    ),
    Mutation(
        "volume-undeclared",
        "volumes-existing.yaml",
        _m_volume,
        "volume-undeclared",
        "name: workdir",
        "workdir",
    ),
    Mutation(
        "volume-undeclared-library",
        "workflow-template/steps.yaml",
        _m_volume_library,
        "volume-undeclared",
        "name: hello1",
        "name: hello1",
    ),
    Mutation("when-cut-short", "dag-diamond.yaml", _m_when_cut_short, "when-syntax", "when:", "'{{="),
]

SUGGESTIONS = {
    "unknown-field": ("imagePullPolicyy", "imagePullPolicy"),
    "step-template-missing": ("print-mesage", "print-message"),
    "templateref-name": ("workflow-template-print-mesage", "workflow-template-print-message"),
    "templateref-template": ("print-mesage", "print-message"),
    "input-variable": ("'{{inputs.parameters.mesage}}", "message"),
    "entrypoint": ("diamnod", "diamond"),
}
"""Existing classes that now name the closest valid name, and where their column points."""
MUTATIONS = [
    dataclasses.replace(m, at=SUGGESTIONS[m.id][0], suggestion=SUGGESTIONS[m.id][1])
    if m.id in SUGGESTIONS
    else m
    for m in MUTATIONS
]


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One lint cache for all mutations, so the examples used as context are parsed once."""
    return tmp_path_factory.mktemp("lint-cache")


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_injected_defect_is_caught(
    mutation: Mutation, argo_examples: Path, tmp_path: Path, shared_cache: Path
) -> None:
    source = argo_examples / mutation.example
    docs = list(yaml.safe_load_all(source.read_text(encoding="utf-8")))
    clean = tmp_path / "clean.yaml"
    clean.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    context = LintOptions(context=(argo_examples,), cache_dir=shared_cache)
    assert lint_paths([clean], context).findings == (), "the example must lint clean before the mutation"

    mutation.mutate(docs)
    target = tmp_path / "mutated.yaml"
    text = yaml.safe_dump_all(docs, sort_keys=False, width=1000)
    target.write_text(text, encoding="utf-8")
    report = lint_paths([target], context)
    lines = text.splitlines()
    expected_line = [i for i, line in enumerate(lines, 1) if mutation.marker in line][-1]
    found = [(f.rule, f.line) for f in report.findings]
    assert (mutation.rule, expected_line) in found, (
        f"expected {mutation.rule} at line {expected_line}, got {found}"
    )
    assert all(f.path == target for f in report.findings)
    assert all(f.column and 1 <= f.column <= len(lines[f.line - 1]) + 1 for f in report.findings)
    (caught, *_) = [f for f in report.findings if (f.rule, f.line) == (mutation.rule, expected_line)]
    assert caught.excerpt == lines[expected_line - 1]
    if mutation.at:
        assert caught.column == lines[expected_line - 1].index(mutation.at) + 1, caught
    if mutation.suggestion:
        assert caught.suggestion == mutation.suggestion
        assert caught.message.endswith(f"; did you mean `{mutation.suggestion}`?")


def _ok_when_with_braces(docs: list[dict[str, Any]]) -> None:
    _dag_task(docs, "B")["when"] = '{{= {"Succeeded": "success"}[tasks.A.status] == "success" }}'


def _ok_library_volume_declared(docs: list[dict[str, Any]]) -> None:
    _library_call(docs)
    docs[0]["spec"]["volumeClaimTemplates"] = [
        {"metadata": {"name": "work"}, "spec": {"accessModes": ["ReadWriteOnce"]}}
    ]


def _ok_extra_argument_without_inputs(docs: list[dict[str, Any]]) -> None:
    _dag_task(docs, "A")["arguments"]["parameters"].append({"name": "unused", "value": "x"})
    _tmpl(docs, "echo").pop("inputs")
    _tmpl(docs, "echo")["container"]["command"] = ["echo", "no inputs"]


VALID_MUTATIONS = {
    "when-braces": ("dag-diamond.yaml", _ok_when_with_braces),
    "library-volume-declared": ("workflow-template/steps.yaml", _ok_library_volume_declared),
    "extra-argument-no-inputs": ("dag-diamond.yaml", _ok_extra_argument_without_inputs),
}


@pytest.mark.parametrize("name", list(VALID_MUTATIONS))
def test_valid_change_stays_clean(name: str, argo_examples: Path, tmp_path: Path, shared_cache: Path) -> None:
    """What Argo runs lints clean: braces inside a {{= }} tag, a declared volume, extra arguments."""
    example, mutate = VALID_MUTATIONS[name]
    docs = list(yaml.safe_load_all((argo_examples / example).read_text(encoding="utf-8")))
    mutate(docs)
    target = tmp_path / "changed.yaml"
    target.write_text(yaml.safe_dump_all(docs, sort_keys=False, width=1000), encoding="utf-8")
    report = lint_paths([target], LintOptions(context=(argo_examples,), cache_dir=shared_cache))
    assert report.findings == ()


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates: [a, b\n", encoding="utf-8"
    )
    report = lint_paths([bad], LintOptions())
    (finding,) = report.findings
    assert (finding.rule, finding.line) == ("yaml-syntax", 5)
    assert finding.column is not None


def test_duplicate_identity_names_both_files(argo_examples: Path, tmp_path: Path) -> None:
    text = (argo_examples / "workflow-template" / "templates.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("# copy\n" + text, encoding="utf-8")
    report = lint_paths([tmp_path], LintOptions())
    dups = [f for f in report.findings if f.rule == "duplicate-identity"]
    assert len(dups) == len(list(yaml.safe_load_all(text))) == 5
    assert all(f.path.name == "b.yaml" and "a.yaml" in f.message for f in dups)

"""The Argo model: walker, resolver, DAG dependency graph, kinds and the generated typed views."""

from __future__ import annotations

import json
from typing import Any

import yaml

from wfsync.lint.schema import typed
from wfsync.lint.schema.generate import SCHEMA_PATH
from wfsync.model.depends import DagGraph, depends_names, depends_terms, task_dependencies
from wfsync.model.kinds import Kind, NodeType
from wfsync.model.resolve import Call, call_of, holds, namespace_matches, ref_target
from wfsync.model.walk import CallerKind, callers, steps_and_tasks, workflow_spec

SPEC = yaml.safe_load(
    """
entrypoint: main
onExit: cleanup
hooks:
  running: {expression: "true", templateRef: {name: lib, template: notify}}
templates:
- name: main
  steps:
  - - name: a
      template: work
      hooks: {exit: {template: cleanup}}
    - name: b
      templateRef: {name: lib, template: build, clusterScope: true}
  - - name: c
      onExit: cleanup
      inline:
        dag:
          tasks:
          - {name: deep, templateRef: {name: lib, template: test}}
- name: graph
  dag:
    tasks:
    - {name: x, template: work}
    - {name: y, depends: x.Succeeded, template: work, hooks: {running: {template: work}}}
- name: work
  container: {image: alpine}
- name: cleanup
  container: {image: alpine}
"""
)


def test_walker_finds_every_caller_with_its_path_in_document_order() -> None:
    found = [(c.kind, c.name, c.path) for c in callers(SPEC)]
    assert found == [
        (CallerKind.HOOK, "running", ("spec", "hooks", "running")),
        (CallerKind.EXIT, "exit", ("spec", "onExit")),
        (CallerKind.STEP, "a", ("spec", "templates", 0, "steps", 0, 0)),
        (CallerKind.HOOK, "exit", ("spec", "templates", 0, "steps", 0, 0, "hooks", "exit")),
        (CallerKind.STEP, "b", ("spec", "templates", 0, "steps", 0, 1)),
        (CallerKind.STEP, "c", ("spec", "templates", 0, "steps", 1, 0)),
        (CallerKind.EXIT, "exit", ("spec", "templates", 0, "steps", 1, 0, "onExit")),
        (CallerKind.TASK, "x", ("spec", "templates", 1, "dag", "tasks", 0)),
        (CallerKind.TASK, "y", ("spec", "templates", 1, "dag", "tasks", 1)),
        (CallerKind.HOOK, "running", ("spec", "templates", 1, "dag", "tasks", 1, "hooks", "running")),
        (
            CallerKind.TASK,
            "deep",
            ("spec", "templates", 0, "steps", 1, 0, "inline", "dag", "tasks", 0),
        ),
    ]
    exit_handler = [c for c in callers(SPEC) if c.path == ("spec", "onExit")][0]
    assert exit_handler.node == {"template": "cleanup"}
    assert exit_handler.what == "exit handler"


def test_walker_asks_the_line_lookup_for_each_path() -> None:
    asked: list[Any] = []

    def line_of(path: Any) -> int:
        asked.append(path)
        return len(path)

    lines = {c.path: c.line for c in callers(SPEC, ("spec",), line_of)}
    assert lines[("spec", "onExit")] == 2
    assert len(asked) == len(lines)


def test_walker_is_iterative_on_ten_thousand_nested_inline_templates() -> None:
    tmpl: dict[str, Any] = {"name": "leaf", "container": {"image": "alpine"}}
    for depth in range(10_000):
        tmpl = {"steps": [[{"name": f"s{depth}", "inline": tmpl}]]}
    spec = {"templates": [{"name": "main", **tmpl}]}
    found = list(callers(spec))
    assert len(found) == 10_000
    assert len(found[-1].path) > 40_000  # materialized on demand only


def test_steps_and_tasks_accept_the_object_form_of_a_step_group() -> None:
    tmpl = {"steps": [{"steps": [{"name": "a", "template": "t"}]}]}
    assert [c.path for c in steps_and_tasks(tmpl)] == [("steps", 0, "steps", 0)]


def test_workflow_spec_of_a_cron_workflow_is_nested() -> None:
    body = {"kind": "CronWorkflow", "spec": {"workflowSpec": {"entrypoint": "x"}}}
    assert workflow_spec(body) == ({"entrypoint": "x"}, ("spec", "workflowSpec"))
    assert workflow_spec({"kind": "Workflow", "spec": []}) == (None, ("spec",))


def test_namespaced_template_refs_resolve_in_the_callers_namespace() -> None:
    target = ref_target({"name": "lib", "template": "build"}, "team-a")
    assert target is not None
    assert target.kind is Kind.WORKFLOW_TEMPLATE and target.namespace == "team-a"
    assert holds(target, "WorkflowTemplate", "team-a", "lib")
    assert not holds(target, "WorkflowTemplate", "team-b", "lib")
    assert not holds(target, "ClusterWorkflowTemplate", "", "lib")
    assert holds(target, "WorkflowTemplate", "", "lib")  # its namespace is where it gets applied


def test_cluster_scoped_refs_name_a_cluster_workflow_template_in_no_namespace() -> None:
    target = ref_target({"name": "lib", "template": "t", "clusterScope": True}, "team-a")
    assert target is not None and target.cluster_scope and target.namespace == ""
    assert holds(target, "ClusterWorkflowTemplate", "", "lib")
    assert not holds(target, "WorkflowTemplate", "team-a", "lib")
    assert str(target.identity) == "ClusterWorkflowTemplate/lib"


def test_unknown_namespaces_match_anything_known_ones_only_themselves() -> None:
    assert namespace_matches("", "a") and namespace_matches("a", "") and namespace_matches("a", "a")
    assert not namespace_matches("a", "b")


def test_templated_or_missing_names_do_not_resolve() -> None:
    assert ref_target({"name": "{{workflow.parameters.lib}}", "template": "t"}, "") is None
    assert ref_target({"template": "t"}, "") is None
    assert ref_target("lib", "") is None
    assert call_of({"templateRef": {"name": "{{x}}"}}, "") is None
    assert call_of({"template": "{{inputs.parameters.t}}"}, "") is None


def test_call_of_prefers_inline_then_template_ref_then_template() -> None:
    assert call_of({"template": "t"}, "ns") == Call(local="t")
    call = call_of({"templateRef": {"name": "lib", "template": "t"}}, "ns")
    assert call is not None and call.ref is not None and call.ref.label == "lib.t"
    assert call_of({"inline": {"container": {}}, "template": "t"}, "ns") == Call(inline={"container": {}})


def test_depends_names_follow_argos_task_name_rule() -> None:
    assert depends_names("A && (C.Succeeded || C.Failed)") == {"A", "C"}
    assert depends_names("build-1.AnySucceeded || !test-2") == {"build-1", "test-2"}
    # Argo's names hold letters, digits and '-': '_' and a lower-case '.x' split names.
    assert depends_names("a_b") == {"a", "b"}
    assert depends_names("a.b") == {"a", "b"}
    assert [(t, r) for t, r, _ in depends_terms("x.Succeeded || y")] == [("x", "Succeeded"), ("y", "")]


def test_task_dependencies_read_both_fields() -> None:
    assert task_dependencies({"dependencies": ["a", 3], "depends": "b.Failed"}) == {"a", "b"}


def test_dag_graph_leaves_unknown_and_cycles() -> None:
    graph = DagGraph(
        [
            {"name": "a"},
            {"name": "b", "depends": "a && ghost"},
            {"name": "c", "dependencies": ["b"]},
        ]
    )
    assert graph.leaves() == ["c"]
    assert graph.unknown("b") == ["ghost"]
    assert graph.cycle() is None
    looped = DagGraph(
        [{"name": "a", "depends": "c"}, {"name": "b", "depends": "a"}, {"name": "c", "depends": "b"}]
    )
    assert looped.cycle() == ["a", "c", "b", "a"]


def test_dag_graph_is_iterative_on_a_ten_thousand_task_chain() -> None:
    tasks = [{"name": f"t{i}", "depends": f"t{i - 1}" if i else ""} for i in range(10_000)]
    tasks[0]["depends"] = "t9999"
    cycle = DagGraph(tasks).cycle()
    assert cycle is not None and len(cycle) == 10_001


def test_node_types_and_kinds_compare_as_the_strings_argo_stores() -> None:
    assert NodeType.POD == "Pod" and NodeType.STEP_GROUP == "StepGroup" and NodeType.TASK_GROUP == "TaskGroup"
    assert json.dumps([NodeType.DAG, Kind.CRON_WORKFLOW]) == '["DAG", "CronWorkflow"]'
    assert Kind.CLUSTER_WORKFLOW_TEMPLATE.cluster_scoped and not Kind.WORKFLOW_TEMPLATE.cluster_scoped


def test_typed_views_match_a_fresh_generation_from_the_lint_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert typed.TARGET.read_text(encoding="utf-8") == typed.render(schema), (
        "run: python -m wfsync.lint.schema.typed"
    )


def test_workflow_template_ref_of_each_kind_that_has_one() -> None:
    from wfsync.model.walk import workflow_template_ref

    ref = {"name": "base"}
    assert workflow_template_ref({"kind": "Workflow", "spec": {"workflowTemplateRef": ref}}) == (
        ref,
        ("spec", "workflowTemplateRef"),
    )
    cron = {"kind": "CronWorkflow", "spec": {"workflowSpec": {"workflowTemplateRef": ref}}}
    assert workflow_template_ref(cron)[0] == ref
    binding = {"kind": "WorkflowEventBinding", "spec": {"submit": {"workflowTemplateRef": ref}}}
    assert workflow_template_ref(binding) == (ref, ("spec", "submit", "workflowTemplateRef"))
    assert workflow_template_ref({"kind": "Workflow"})[0] is None

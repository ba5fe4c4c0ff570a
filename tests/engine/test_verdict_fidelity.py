"""Controller edge cases where the local verdict used to differ from Argo's (issue 12, item 4).

Each test pins the node tree (names, types, phases, messages) Argo's controller writes for the
case, with the source of Argo's behaviour named in the test's docstring.
"""

from __future__ import annotations

import shutil

import pytest

from wfsync.engine import status as st
from wfsync.engine.executor import Unsupported
from wfsync.errors import ExitCode, InputError

from .conftest import node_table

ECHO = """
          - name: echo
            inputs: {parameters: [{name: x}]}
            container: {image: alpine, command: [echo], args: ["{{inputs.parameters.x}}"]}
"""


def test_empty_script_source_adds_no_script_argument_and_an_empty_list_skips_the_loop(run_yaml):
    """``executeScript``: an empty ``source`` appends no script path; ``[]`` is "Skipped, empty params"."""
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: empty-source}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: gen, template: gen}
            - - name: loop
                template: echo
                arguments: {parameters: [{name: x, value: "{{item}}"}]}
                withParam: "{{steps.gen.outputs.result}}"
          - name: gen
            script: {image: alpine, command: [echo, "[]"], source: ""}
        """
        + ECHO
    )
    assert result.status.phase == st.SUCCEEDED
    assert node_table(result) == [
        ("WF", "Steps", "Succeeded", ""),
        ("WF[0]", "StepGroup", "Succeeded", ""),
        ("WF[0].gen", "Pod", "Succeeded", ""),
        ("WF[1]", "StepGroup", "Succeeded", ""),
        ("WF[1].loop", "Skipped", "Skipped", "Skipped, empty params"),
    ]
    gen = next(n for n in result.status.nodes.values() if n.display_name == "gen")
    assert (gen.outputs or {})["result"] == "[]"


def test_a_run_never_ends_in_a_non_terminal_phase(run_yaml):
    """An empty ``withParam`` text on a DAG task leaves its TaskGroup with nothing to wait for.

    Argo's controller keeps such a workflow Running for ever; a local run ends instead, with the
    workflow in Error and a message that says it is an internal error of the engine.
    """
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: stuck}
        spec:
          entrypoint: main
          templates:
          - name: main
            dag:
              tasks:
              - {name: gen, template: gen}
              - name: loop
                depends: gen
                template: echo
                arguments: {parameters: [{name: x, value: "{{item}}"}]}
                withParam: "{{tasks.gen.outputs.result}}"
          - name: gen
            script: {image: alpine, command: ["true"], source: ""}
        """
        + ECHO
    )
    assert result.status.phase == st.ERROR
    assert result.status.message.startswith("internal error: ")
    assert all(n.fulfilled for n in result.status.nodes.values())


def test_a_when_reading_an_absent_output_fails_the_step(run_yaml):
    """``simpleReplaceStrict``: a tag whose value is an absent (nil) output cannot become a string.

    The error is the step's own node (``initTerminalErrorNode``, argoproj/argo-workflows#16223);
    the workflow fails although its exit handler succeeds.

    Before v3.7.16/v4.0.7 this requeued for ever; since, it is a terminal error
    (docs/upgrading.md "Outputs of skipped and omitted steps and tasks now resolve").
    """
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: absent-when}
        spec:
          entrypoint: main
          onExit: handler
          templates:
          - name: main
            steps:
            - - {name: producer, template: gen, when: "false"}
            - - name: consumer
                template: echo
                when: "'{{steps.producer.outputs.result}}' != hello"
                arguments: {parameters: [{name: x, value: ran}]}
          - name: handler
            container: {image: alpine, command: ["true"]}
          - name: gen
            script: {image: alpine, command: [sh], source: echo hello}
        """
        + ECHO
    )
    message = "failed to resolve {{steps.producer.outputs.result}} to string"
    failed = "child 'WF-CONSUMER' failed"
    assert result.status.phase == st.FAILED
    table = node_table(result)
    consumer = next(n for n in result.status.nodes.values() if n.display_name == "consumer")
    failed = failed.replace("WF-CONSUMER", consumer.id.replace(result.status.name, "WF", 1))
    assert table == [
        ("WF", "Steps", "Failed", failed),
        ("WF[0]", "StepGroup", "Succeeded", ""),
        ("WF[0].producer", "Skipped", "Skipped", "when 'false' evaluated false"),
        ("WF[1]", "StepGroup", "Failed", failed),
        ("WF[1].consumer", "Skipped", "Error", message),
        ("WF.onExit", "Pod", "Succeeded", ""),
    ]


def test_an_argument_reading_an_absent_output_fails_but_a_handled_one_runs(run_yaml):
    """A composite argument fails; ``??`` handles ``nil``; a step whose own ``when`` is false is spared."""
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: absent-arg}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: producer, template: gen, when: "false"}
            - - name: handled
                template: echo
                arguments: {parameters: [{name: x, value: "{{=steps.producer.outputs.result ?? 'none'}}"}]}
              - name: spared
                template: echo
                when: "false"
                arguments: {parameters: [{name: x, value: "got {{steps.producer.outputs.result}}"}]}
            - - name: composite
                template: echo
                arguments: {parameters: [{name: x, value: "got {{steps.producer.outputs.result}}"}]}
          - name: gen
            script: {image: alpine, command: [sh], source: echo hello}
        """
        + ECHO
    )
    message = "failed to resolve {{steps.producer.outputs.result}} to string"
    composite = next(n for n in result.status.nodes.values() if n.display_name == "composite")
    failed = f"child '{composite.id.replace(result.status.name, 'WF', 1)}' failed"
    assert result.status.phase == st.FAILED
    assert node_table(result) == [
        ("WF", "Steps", "Failed", failed),
        ("WF[0]", "StepGroup", "Succeeded", ""),
        ("WF[0].producer", "Skipped", "Skipped", "when 'false' evaluated false"),
        ("WF[1]", "StepGroup", "Succeeded", ""),
        ("WF[1].handled", "Pod", "Succeeded", ""),
        ("WF[1].spared", "Skipped", "Skipped", "when 'false' evaluated false"),
        ("WF[2]", "StepGroup", "Failed", failed),
        ("WF[2].composite", "Skipped", "Error", message),
    ]
    handled = next(n for n in result.status.nodes.values() if n.display_name == "handled")
    assert handled.inputs == {"parameters": [{"name": "x", "value": "none"}]}


def test_an_empty_retry_strategy_retries_without_limit(run_yaml):
    """``processNodeRetries``: ``limit`` nil means no limit; the policy defaults to OnFailure."""
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: retry-empty}
        spec:
          entrypoint: flaky
          templates:
          - name: flaky
            retryStrategy: {}
            container: {image: alpine, command: [sh, -c, "test {{retries}} -ge 3"]}
        """
    )
    assert result.status.phase == st.SUCCEEDED
    assert node_table(result) == [
        ("WF", "Retry", "Succeeded", ""),
        ("WF(0)", "Pod", "Failed", "main: Error (exit code 1)"),
        ("WF(1)", "Pod", "Failed", "main: Error (exit code 1)"),
        ("WF(2)", "Pod", "Failed", "main: Error (exit code 1)"),
        ("WF(3)", "Pod", "Succeeded", ""),
    ]


TEMPLATE_DEFAULTS = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: defaults}
        spec:
          entrypoint: main
          templateDefaults:
            container: {image: IMAGE, env: [{name: GREETING, value: hello}]}
          templates:
          - name: main
            steps:
            - - {name: hello, template: hello}
          - name: hello
            container: {command: [sh, -c, "echo $GREETING"]}
"""


def test_template_defaults_fill_only_templates_of_their_own_type(run_yaml):
    """``mergedTemplateDefaultsInto`` keeps the template's own type (``SetType``): steps stay steps."""
    result = run_yaml(TEMPLATE_DEFAULTS.replace("IMAGE", "alpine"))
    assert result.status.phase == st.SUCCEEDED
    assert node_table(result) == [
        ("WF", "Steps", "Succeeded", ""),
        ("WF[0]", "StepGroup", "Succeeded", ""),
        ("WF[0].hello", "Pod", "Succeeded", ""),
    ]
    assert result.logs == [("defaults[0].hello", "hello\n")]


def test_template_defaults_are_checked_before_the_run(run_yaml):
    """The pre-run checks see the merged template: an image from the defaults is checked too."""
    with pytest.raises(Unsupported, match=r"example\.com/private/tool:1\.0.*\(template 'hello'\)"):
        run_yaml(TEMPLATE_DEFAULTS.replace("IMAGE", "example.com/private/tool:1.0"))


def test_an_invalid_claim_template_is_refused_before_any_node(run_yaml):
    """``createPVCs`` is refused by the API server (its validation message); the workflow is in Error."""
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: claims}
        spec:
          entrypoint: main
          volumeClaimTemplates:
          - metadata: {name: workdir}
            spec: {accessModes: [ReadWriteSometimes], resources: {requests: {storage: 1Gi}}}
          templates:
          - name: main
            container:
              image: alpine
              command: [sh, -c, "echo hi > /mnt/vol/x"]
              volumeMounts: [{name: workdir, mountPath: /mnt/vol}]
        """
    )
    assert result.status.phase == st.ERROR
    assert result.status.message == (
        'pvc create error: PersistentVolumeClaim "claims-workdir" is invalid: spec.accessModes: '
        'Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", '
        '"ReadWriteOnce", "ReadWriteOncePod"'
    )
    assert node_table(result) == []


def test_an_http_artifact_without_a_url_is_not_supplied(run_yaml):
    """``LoadArtifacts``: no location is "required artifact ... not supplied" (optional: skipped)."""
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: no-url}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: optional, template: optional}
            - - {name: required, template: required}
          - name: optional
            inputs: {artifacts: [{name: data, path: /tmp/data, optional: true, http: {url: ""}}]}
            container: {image: alpine, command: [sh, -c, "test ! -e /tmp/data"]}
          - name: required
            inputs: {artifacts: [{name: data, path: /tmp/data, http: {url: ""}}]}
            container: {image: alpine, command: [cat, /tmp/data]}
        """
    )
    message = "required artifact 'data' not supplied"
    assert result.status.phase == st.FAILED
    assert node_table(result) == [
        ("WF", "Steps", "Failed", "child 'WF-3948344428' failed"),
        ("WF[0]", "StepGroup", "Succeeded", ""),
        ("WF[0].optional", "Pod", "Succeeded", ""),
        ("WF[1]", "StepGroup", "Failed", "child 'WF-3948344428' failed"),
        ("WF[1].required", "Pod", "Error", message),
    ]


def test_a_dag_task_reading_an_absent_output_errors_and_its_dependents_are_omitted(run_yaml):
    """The task's own node is the Error; ``depends`` on its success omits what follows."""
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: absent-dag}
        spec:
          entrypoint: main
          templates:
          - name: main
            dag:
              tasks:
              - {name: producer, template: gen, when: "false"}
              - name: consumer
                depends: producer
                template: echo
                arguments: {parameters: [{name: x, value: "got {{tasks.producer.outputs.parameters.out}}"}]}
              - {name: after, depends: consumer, template: echo, arguments: {parameters: [{name: x, value: ok}]}}
          - name: gen
            container: {image: alpine, command: [sh, -c, "echo hi > /tmp/out"]}
            outputs: {parameters: [{name: out, valueFrom: {path: /tmp/out}}]}
        """
        + ECHO
    )
    assert result.status.phase == st.ERROR
    assert node_table(result) == [
        ("WF", "DAG", "Error", ""),
        ("WF.producer", "Skipped", "Skipped", "when 'false' evaluated false"),
        (
            "WF.consumer",
            "Skipped",
            "Error",
            "failed to resolve {{tasks.producer.outputs.parameters.out}} to string",
        ),
        ("WF.after", "Skipped", "Omitted", "omitted: depends condition not met"),
    ]


def test_the_cowsay_shim_passes_the_pre_run_check(run_yaml):
    """``cowsay`` (argosay:v1, whalesay) runs as wfsync's shim when the host has none."""
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: cowsay}
        spec:
          entrypoint: main
          templates:
          - name: main
            container: {image: "argoproj/argosay:v1", command: [cowsay], args: [hello]}
        """
    )
    assert node_table(result) == [("WF", "Pod", "Succeeded", "")]
    assert "< hello >" in result.logs[0][1]


def test_a_reference_to_a_template_that_does_not_exist_is_rejected_as_argo_submit_rejects_it(run_yaml):
    """``ValidateWorkflow``: invalid input (exit 2) with Argo's message, before anything runs."""
    with pytest.raises(InputError) as caught:
        run_yaml(
            """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: missing}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: a, template: inner}
              - name: inner
                dag:
                  tasks:
                  - {name: b, template: nope}
            """
        )
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(caught.value) == (
        "invalid workflow (argo submit rejects it): "
        "templates.main.steps[0].a templates.inner.tasks.b template name 'nope' undefined"
    )


def test_submit_validation_covers_the_entrypoint_on_exit_and_template_refs(run_yaml, tmp_path):
    """The entrypoint and onExit are looked up directly; a templateRef names its WorkflowTemplate."""
    library = tmp_path / "wft.yaml"
    library.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: lib}\n"
        "spec:\n  templates:\n  - {name: hello, container: {image: alpine, command: ['true']}}\n",
        encoding="utf-8",
    )
    body = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: refs}
        spec:
          entrypoint: main
          onExit: EXIT
          templates:
          - name: main
            steps:
            - - {name: a, templateRef: {name: lib, template: TEMPLATE}}
          - {name: done, container: {image: alpine, command: ["true"]}}
    """
    cases = {
        ("main", "done", "goodbye"): "templates.main.steps[0].a template reference lib.goodbye not found",
        ("main", "gone", "hello"): "template name 'gone' undefined",
        ("absent", "done", "hello"): "template name 'absent' undefined",
    }
    for (entry, on_exit, template), message in cases.items():
        text = body.replace("EXIT", on_exit).replace("TEMPLATE", template)
        with pytest.raises(InputError, match="argo submit rejects it") as caught:
            run_yaml(text, entrypoint=entry, with_paths=[library])
        assert str(caught.value).endswith(message)
    result = run_yaml(body.replace("EXIT", "done").replace("TEMPLATE", "hello"), with_paths=[library])
    assert result.status.phase == st.SUCCEEDED
    with pytest.raises(Unsupported, match="environment: "):
        run_yaml(
            body.replace("EXIT", "done").replace("TEMPLATE", "hello").replace("name: lib", "name: other")
        )


@pytest.mark.skipif(shutil.which("busybox") is None, reason="needs the host's busybox (apt package busybox)")
def test_alpine_shell_runs_as_the_hosts_busybox(run_yaml):
    """alpine/busybox ``sh`` is BusyBox ash (``$RANDOM``), not the host's dash; the summary says so."""
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: random}
        spec:
          entrypoint: main
          templates:
          - name: main
            script:
              image: alpine:3.19
              command: [sh]
              source: |
                test -n "$RANDOM" && echo "${#RANDOM}" | grep -q . && echo ok
        """
    )
    assert node_table(result) == [("WF", "Pod", "Succeeded", "")]
    assert result.logs == [("random", "ok\n")]
    assert any(n.startswith("alpine:3.19 ran as host BusyBox v") for n in result.status.notes)


def test_what_a_local_run_cannot_check_is_listed(run_yaml):
    """RBAC of the service account, scheduling and image pulls are Kubernetes' and listed as such."""
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: unchecked}
        spec:
          entrypoint: main
          serviceAccountName: workflow-runner
          templates:
          - name: main
            nodeSelector: {kubernetes.io/os: linux}
            container: {image: debian:12, command: ["true"]}
        """
    )
    assert result.status.phase == st.SUCCEEDED
    assert result.status.notes == [
        "not checked locally: RBAC of serviceAccountName 'workflow-runner'",
        "not checked locally: scheduling (nodeSelector)",
        "not checked locally: image pulls (images are stood in, never pulled)",
    ]


def test_an_optional_output_artifact_not_produced_passes_as_nothing_to_an_optional_input(run_yaml):
    """``SaveArtifacts`` skips it; an optional ``from`` that does not resolve is dropped (argo#14503)."""
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: optional-art}
        spec:
          entrypoint: main
          templates:
          - name: main
            dag:
              tasks:
              - {name: make, template: make}
              - name: use
                depends: make
                template: use
                arguments:
                  artifacts: [{name: in, optional: true, from: "{{tasks.make.outputs.artifacts.out}}"}]
            outputs:
              artifacts: [{name: final, optional: true, from: "{{tasks.make.outputs.artifacts.out}}"}]
          - name: make
            container: {image: alpine, command: ["true"]}
            outputs: {artifacts: [{name: out, path: /tmp/out.txt, optional: true}]}
          - name: use
            inputs: {artifacts: [{name: in, path: /tmp/in.txt, optional: true}]}
            container: {image: alpine, command: [sh, -c, "test -e /tmp/in.txt && echo present || echo absent"]}
        """
    )
    assert node_table(result) == [
        ("WF", "DAG", "Succeeded", ""),
        ("WF.make", "Pod", "Succeeded", ""),
        ("WF.use", "Pod", "Succeeded", ""),
    ]
    nodes = {n.display_name: n for n in result.status.nodes.values()}
    assert "artifacts" not in (nodes["make"].outputs or {})
    assert (nodes["use"].outputs or {})["result"] == "absent"
    assert "artifacts" not in (nodes["optional-art"].outputs or {})


def test_a_loop_over_an_absent_output_fails_to_parse_as_argo_does(run_yaml):
    """Loop expansion sees no absent outputs (``getParameters`` drops them): the text is not a list."""
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: absent-loop}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: producer, template: gen, when: "false"}
            - - name: consumer
                template: echo
                arguments: {parameters: [{name: x, value: "{{item}}"}]}
                withParam: "{{steps.producer.outputs.result}}"
          - name: gen
            script: {image: alpine, command: [sh], source: "echo '[1]'"}
        """
        + ECHO
    )
    assert result.status.phase == st.FAILED
    group = node_table(result)[3]
    assert group[:3] == ("WF[1]", "StepGroup", "Error")
    assert group[3].startswith(
        "withParam value could not be parsed as a JSON list: {{steps.producer.outputs.result}}"
    )


def test_template_defaults_merge_container_env_by_name(run_yaml):
    """A strategic merge patch: the template's ``env`` entries win by name, the defaults' others stay."""
    result = run_yaml(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: env-merge}
        spec:
          entrypoint: main
          templateDefaults:
            container:
              image: alpine
              env: [{name: A, value: from-defaults}, {name: B, value: from-defaults}]
          templates:
          - name: main
            container:
              command: [sh, -c, 'echo "$A $B"']
              env: [{name: B, value: from-template}]
        """
    )
    assert result.status.phase == st.SUCCEEDED
    assert result.logs == [("env-merge", "from-defaults from-template\n")]

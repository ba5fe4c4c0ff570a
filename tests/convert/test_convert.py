"""The mapping: jobs, needs, conditions, matrices, triggers, inputs, secrets, concurrency, actions."""

from __future__ import annotations

import json

from tests.convert.helpers import convert, params, spec, tasks, template

JOB = "    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"


def workflow(jobs: str, on: str = "workflow_dispatch") -> str:
    return f"on: {on}\njobs:\n{jobs}"


def test_needs_get_explicit_succeeded_and_failfast_off() -> None:
    conv = convert(workflow(f"  a:\n{JOB}  b:\n    needs: a\n{JOB}  c:\n    needs: [a, b]\n{JOB}"))
    dag = template(conv, "main")["dag"]
    assert dag["failFast"] is False
    t = tasks(conv)
    assert "depends" not in t["a"]
    assert t["b"]["depends"] == "a.Succeeded"
    assert t["c"]["depends"] == "a.Succeeded && b.Succeeded"


def test_status_functions_widen_depends_over_all_upstream_jobs() -> None:
    text = workflow(
        f"  a:\n{JOB}  b:\n    needs: a\n{JOB}"
        f"  always:\n    needs: b\n    if: always()\n{JOB}"
        f"  fail:\n    needs: b\n    if: failure()\n{JOB}"
        f"  never:\n    needs: b\n    if: cancelled()\n{JOB}"
    )
    conv = convert(text)
    t = tasks(conv)
    assert t["always"]["depends"] == "(b.Succeeded || b.Failed || b.Errored || b.Skipped || b.Omitted)"
    assert t["fail"]["depends"].endswith("&& (b.Failed || b.Errored || a.Failed || a.Errored)")
    assert t["never"]["when"] == "false"
    assert conv.report.verdict == "partial"


def test_job_if_becomes_an_argo_expression_and_folds_constants() -> None:
    text = workflow(f"  a:\n    if: github.event_name == 'push'\n{JOB}  b:\n    if: ${{{{ false }}}}\n{JOB}")
    conv = convert(text)
    t = tasks(conv)
    assert t["a"]["when"].startswith("{{=") and 'workflow.parameters["github-event-name"]' in t["a"]["when"]
    assert t["b"]["when"] == "false"
    names = [p["name"] for p in spec(conv)["arguments"]["parameters"]]
    assert "github-event-name" in names


def test_matrix_include_exclude_expand_into_items_and_max_parallel_wrapper() -> None:
    text = workflow(
        "  t:\n    runs-on: ubuntu-latest\n    strategy:\n      max-parallel: 2\n      fail-fast: false\n"
        "      matrix:\n        py: ['3.11', '3.12']\n        os: [a, b]\n        exclude: [{py: '3.11', os: b}]\n"
        "        include: [{py: '3.12', extra: x}]\n    steps:\n      - run: echo ${{ matrix.py }}\n"
    )
    conv = convert(text)
    wrapper = template(conv, "matrix-t")
    assert wrapper["parallelism"] == 2 and wrapper["dag"]["failFast"] is False
    leg = wrapper["dag"]["tasks"][0]
    assert [(i["py"], i["os"], i["extra"]) for i in leg["withItems"]] == [
        ("3.11", "a", ""),
        ("3.12", "a", "x"),
        ("3.12", "b", "x"),
    ]
    assert params(leg)["matrix-py"] == "{{item.py}}"


def test_schedule_gives_a_cron_workflow_in_utc_and_template_flag_a_workflow_template() -> None:
    text = workflow(f"  a:\n{JOB}", on="\n  schedule:\n    - cron: '0 3 * * 1'")
    doc = convert(text).document
    assert doc is not None and doc["kind"] == "CronWorkflow"
    assert doc["spec"]["schedules"] == ["0 3 * * 1"] and doc["spec"]["timezone"] == "UTC"
    doc = convert(text, template=True).document
    assert doc is not None and doc["kind"] == "WorkflowTemplate" and doc["metadata"]["name"] == "w"


def test_dispatch_inputs_become_arguments() -> None:
    on = "\n  workflow_dispatch:\n    inputs:\n      level: {type: choice, options: [a, b], default: b}\n      dry: {type: boolean}"
    parameters = {
        p["name"]: p for p in spec(convert(workflow(f"  a:\n{JOB}", on=on)))["arguments"]["parameters"]
    }
    assert parameters["level"]["enum"] == ["a", "b"] and parameters["level"]["value"] == "b"
    assert parameters["dry"]["enum"] == ["true", "false"] and parameters["dry"]["value"] == "false"


def test_secrets_are_read_from_a_secret_never_inlined() -> None:
    text = workflow(
        "  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: deploy --token ${{ secrets.DEPLOY_TOKEN }}\n"
    )
    conv = convert(text)
    step = template(conv, "job-a")["steps"][1][0]
    p = params(step)
    assert p["secret-env"] == "github-secrets"
    assert p["script"] == "deploy --token ${DEPLOY_TOKEN}"
    assert "env" not in p  # the Secret's key is the step's environment variable
    assert conv.report.manual.secrets == {"DEPLOY_TOKEN": 1}
    assert "DEPLOY_TOKEN" not in json.dumps(conv.document).replace(p["script"], "")


def test_concurrency_timeout_continue_on_error_container() -> None:
    text = (
        "on: workflow_dispatch\nconcurrency: deploy-prod\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    container: {image: 'node:20'}\n    concurrency: {group: a-lock, cancel-in-progress: true}\n"
        "    timeout-minutes: 15\n    steps:\n      - run: exit 1\n        continue-on-error: true\n"
        "      - run: echo ok\n        timeout-minutes: 2\n"
    )
    conv = convert(text)
    assert spec(conv)["synchronization"] == {"mutexes": [{"name": "deploy-prod"}]}
    job = template(conv, "job-a")
    assert job["synchronization"] == {"mutexes": [{"name": "a-lock"}]}
    first, second = job["steps"][1][0], job["steps"][2][0]
    assert first["continueOn"] == {"failed": True} and "continueOn" not in second
    assert params(first)["image"] == "node:20" and params(first)["timeout"] == "15m"
    assert params(second)["timeout"] == "2m"
    assert any("cancel-in-progress" in a for a in conv.report.attention)


def test_always_step_after_a_failure_runs_and_the_job_still_fails() -> None:
    text = workflow(
        "  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: build\n        run: make\n"
        "      - run: echo report\n        if: always()\n      - run: echo on failure\n        if: failure()\n"
    )
    steps = template(convert(text), "job-a")["steps"]
    names = [g[0]["name"] for g in steps]
    assert names == ["setup", "make", "echo-report", "echo-on-failure", "wfsync-job-result"]
    steps = steps[1:]
    assert all(g[0].get("continueOn") == {"failed": True} for g in steps[:3])
    assert "when" not in steps[1][0]
    assert steps[2][0]["when"].startswith("(('{{steps.make.status}}' == 'Failed'")
    assert "{{steps.echo-report.status}}" in steps[3][0]["when"]


def test_actions_map_to_library_templates_and_unknown_actions_run_generically() -> None:
    text = workflow(
        "  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with: {fetch-depth: 0}\n"
        "      - uses: actions/setup-node@v4\n        with: {node-version: 20.x}\n      - run: npm test\n"
        "      - uses: acme/mystery@v1\n"
    )
    conv = convert(text)
    steps = [g[0] for g in template(conv, "job-a")["steps"] if g[0]["name"] != "setup"]
    assert steps[0]["templateRef"] == {"name": "git-checkout", "template": "checkout", "clusterScope": True}
    assert params(steps[0])["depth"] == "0" and params(steps[0])["path"] == "jobs/a"
    assert params(steps[1])["image"] == "node:20"
    generic = steps[-1]
    assert generic["templateRef"] == {"name": "github-action", "template": "run", "clusterScope": True}
    assert params(generic)["action"] == "acme/mystery@v1" and params(generic)["job"] == "jobs/a"
    assert conv.report.manual.actions == {}
    assert [s.verdict for s in conv.report.steps] == ["known", "known", "known", "generic"]
    assert conv.report.steps[-1].note.startswith("acme/mystery@v1 runs as on GitHub")


def test_job_outputs_and_artifacts_flow_to_dependent_jobs() -> None:
    text = workflow(
        "  a:\n    runs-on: ubuntu-latest\n    outputs:\n      v: ${{ steps.s.outputs.v }}\n    steps:\n"
        "      - id: s\n        run: echo v=1 >> $GITHUB_OUTPUT\n"
        "      - uses: actions/upload-artifact@v4\n        with: {name: dist, path: dist}\n"
        "  b:\n    needs: a\n    if: needs.a.outputs.v == '1'\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/download-artifact@v4\n        with: {name: dist}\n      - run: echo ${{ needs.a.outputs.v }}\n"
    )
    conv = convert(text)
    b = tasks(conv)["b"]
    assert params(b)["needs-a"] == "{{tasks.a.outputs.parameters.outputs}}"
    assert b["arguments"]["artifacts"] == [
        {"name": "artifact-dist", "from": "{{tasks.a.outputs.artifacts.artifact-dist}}"}
    ]
    assert 'tasks["a"].outputs.parameters.outputs' in b["when"]
    job_a = template(conv, "job-a")
    assert (
        job_a["outputs"]["parameters"][0]["valueFrom"]["parameter"]
        == "{{steps.wfsync-outputs.outputs.parameters.outputs}}"
    )
    assert conv.report.verdict == "successful"


def test_services_become_daemon_steps_with_readiness() -> None:
    text = workflow(
        "  a:\n    runs-on: ubuntu-latest\n    services:\n      redis:\n        image: redis:7\n    steps:\n      - run: redis-cli -h $SERVICE_REDIS_HOST ping\n"
    )
    conv = convert(text)
    service = template(conv, "service-a-redis")
    assert service["daemon"] is True
    assert service["container"]["readinessProbe"]["exec"]["command"] == ["redis-cli", "ping"]
    setup = template(conv, "job-a")["steps"][1][0]
    assert setup["name"] == "setup"  # after the services start, before the steps
    assert "SERVICE_REDIS_HOST={{steps.svc-redis.ip}}" in params(setup)["env"].splitlines()

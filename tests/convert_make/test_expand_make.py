"""``convert github-actions --expand-make``: a ``run: make X`` step becomes the DAG of X.

Real repositories in tmp folders, real GNU make reading them, and the converted workflows run
with the local engine (``--run``), which must succeed (or fail) where make does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import REPO_ROOT
from wfsync.cli.app import app
from wfsync.commands.convert import ExpandMake, RunSettings, run_convert_github_actions
from wfsync.convert.gha.report import WorkflowReport

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or shutil.which("cc") is None, reason="needs GNU make and cc"
)

PROJECT = Path(__file__).parent / "projects" / "gha-ci"
GOLDEN = Path(__file__).parent / "golden" / "gha-ci.yaml"

MAKEFILE = """\
.PHONY: all test
all: out/b.txt
test: all
\tgrep -q a out/b.txt
out/a.txt: | out
\techo a > $@
out/b.txt: out/a.txt
\tcat $< > $@
out:
\tmkdir -p out
"""


def workflow(run: str, *, before: str = "      - uses: actions/checkout@v4\n", extra: str = "") -> str:
    return (
        "on: push\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n"
        + before
        + f"      - name: make\n        run: {json.dumps(run)}\n"
        + extra
    )


def repo(root: Path, text: str, files: dict[str, str] | None = None) -> Path:
    """A repository with ``.github/workflows/ci.yml`` and the given files (default: a Makefile)."""
    for name, content in (files if files is not None else {"Makefile": MAKEFILE}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    path = root / ".github" / "workflows" / "ci.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def settings(tmp_path: Path) -> RunSettings:
    return RunSettings(REPO_ROOT / "library", tmp_path / "state")


def convert(path: Path, **options: Any) -> tuple[WorkflowReport, dict[str, Any]]:
    result = run_convert_github_actions([path], expand_make=options.pop("expand", ExpandMake()), **options)
    report = result.audit.workflows[0]
    assert report.error == "", report.error  # also: the output passed lint
    document = result.files[0].conversion.document
    assert document is not None
    return report, document


def templates(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in document["spec"]["templates"]}


def job_steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [group[0] for group in templates(document)["job-ci"]["steps"]]


def kept(report: WorkflowReport) -> str:
    """The reason the only make call stayed one step."""
    assert len(report.make) == 1 and not report.make[0].expanded, report.make
    return report.make[0].reason


def test_golden_ci_workflow(tmp_path: Path) -> None:
    """``make lint test build VERSION=1.2.3`` in a C project's CI; WFSYNC_REGENERATE=1 rewrites."""
    result = run_convert_github_actions(
        [PROJECT / ".github" / "workflows" / "ci.yml"], expand_make=ExpandMake()
    )
    text = result.files[0].text
    assert text is not None
    text = text.replace(str(PROJECT), "tests/convert_make/projects/gha-ci")
    if os.environ.get("WFSYNC_REGENERATE") == "1" and os.environ.get("CI") != "true":
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()
    assert result.audit.make_calls() == {"expanded": 1}


def test_golden_workflow_runs_like_make(tmp_path: Path) -> None:
    """make itself succeeds on a copy; the converted workflow succeeds on the local engine,
    and its next step finds the binary the DAG built (it starts after the whole DAG)."""
    copy = shutil.copytree(PROJECT, tmp_path / "copy")
    done = subprocess.run(["make", "lint", "test", "build", "VERSION=1.2.3"], cwd=copy, capture_output=True)
    assert done.returncode == 0, done.stderr
    result = run_convert_github_actions(
        [PROJECT / ".github" / "workflows" / "ci.yml"], expand_make=ExpandMake(), run=settings(tmp_path)
    )
    report = result.audit.workflows[0]
    assert report.run == "Succeeded", report.run_message
    assert not (PROJECT / "build").exists()  # the repository is read, never built in


def engine_run(tmp_path: Path, workflow_path: Path, root: Path, step: str) -> tuple[bool, str]:
    """Convert with --expand-make and run on the local engine: success, and the logs of ``step``'s DAG."""
    import yaml

    from wfsync.commands.convert import checkout_source, localize
    from wfsync.commands.library import fallback_for
    from wfsync.engine.run import RunRequest, run

    result = run_convert_github_actions([workflow_path], expand_make=ExpandMake())
    document = result.files[0].conversion.document
    assert document is not None
    library = REPO_ROOT / "library"
    (tmp_path / "engine").mkdir()
    local = localize(document, checkout_source(root, tmp_path / "engine"), "push")
    (tmp_path / "engine" / "local.yaml").write_text(yaml.safe_dump(local))
    request = RunRequest(
        path=tmp_path / "engine" / "local.yaml",
        library=library,
        state_dir=tmp_path / "engine" / "state",
        templates=fallback_for(local, library),
    )
    outcome = run(request)
    logged = "".join(text for node, text in outcome.logs if f"].{step}." in node)
    return outcome.succeeded, logged


def test_the_run_prints_what_make_prints_in_the_same_order(tmp_path: Path) -> None:
    """The expanded tasks' logs, in order, are make's own output (commands echoed, recipe output)."""
    copy = shutil.copytree(PROJECT, tmp_path / "copy")
    env = {**os.environ, "CFLAGS": "-O2 -Wall"}  # the workflow's env
    done = subprocess.run(
        ["make", "lint", "test", "build", "VERSION=1.2.3"], cwd=copy, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    workflow_path = PROJECT / ".github" / "workflows" / "ci.yml"
    succeeded, logged = engine_run(tmp_path, workflow_path, PROJECT, "lint-test-and-build")
    assert succeeded
    assert [line for line in logged.splitlines() if line] == done.stdout.splitlines()
    assert "tests passed" in done.stdout


def test_prefixes_and_ignored_errors_print_as_make_prints_them(tmp_path: Path) -> None:
    makefile = "all:\n\t-false\n\t@echo after\n\techo visible\n"
    root = tmp_path / "r"
    path = repo(root, workflow("make all"), {"Makefile": makefile})
    done = subprocess.run(["make", "all"], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0
    succeeded, logged = engine_run(tmp_path, path, root, "make")
    assert succeeded
    lines = [line for line in logged.splitlines() if line]
    assert [line for line in lines if not line.startswith("make:")] == done.stdout.splitlines()
    assert "make: [Makefile:2: all] Error 1 (ignored)" in lines
    assert done.stderr.strip() == "make: [Makefile:2: all] Error 1 (ignored)"


def test_a_failing_recipe_fails_the_run_where_make_fails(tmp_path: Path) -> None:
    path = repo(
        tmp_path / "r", workflow("make test"), {"Makefile": MAKEFILE.replace("grep -q a", "grep -q z")}
    )
    done = subprocess.run(["make", "test"], cwd=tmp_path / "r", capture_output=True, text=True)
    assert done.returncode == 2 and "[Makefile:4: test] Error 1" in done.stderr
    shutil.rmtree(tmp_path / "r" / "out")
    result = run_convert_github_actions([path], expand_make=ExpandMake(), run=settings(tmp_path))
    report = result.audit.workflows[0]
    assert report.make[0].tasks == 4
    assert report.run == "Failed" and "test" in report.run_message, report.run_message


def test_jobs_make_a_dag_with_parallelism_and_the_next_step_waits(tmp_path: Path) -> None:
    path = repo(tmp_path / "r", workflow("make -j2 all test", extra="      - run: test -f out/b.txt\n"))
    report, document = convert(path, run=settings(tmp_path))
    dag = templates(document)["job-ci--make"]
    assert dag["parallelism"] == 2
    depends = {t["name"]: t.get("depends", "") for t in dag["dag"]["tasks"]}
    assert depends == {"out": "", "out-a-txt": "out", "out-b-txt": "out-a-txt", "test": "out-b-txt"}
    steps = job_steps(document)
    assert [s["name"] for s in steps][2:4] == ["make", "test-f-out-b-txt"]
    assert steps[2]["template"] == "job-ci--make"
    assert report.run == "Succeeded", report.run_message
    assert "at most 2 at a time" in report.make[0].reason


def test_without_jobs_the_tasks_follow_make_order(tmp_path: Path) -> None:
    path = repo(tmp_path / "r", workflow("make test all"))
    _, document = convert(path)
    tasks = templates(document)["job-ci--make"]["dag"]["tasks"]
    assert [(t["name"], t.get("depends")) for t in tasks] == [
        ("out", None),
        ("out-a-txt", "out"),
        ("out-b-txt", "out-a-txt"),
        ("test", "out-b-txt"),
    ]


def test_directory_env_and_working_directory_are_kept(tmp_path: Path) -> None:
    """``cd app && make -C lib`` with working-directory, step env and make variables."""
    makefile = 'show:\n\t@echo "$(GREETING) $(WHO) $$SECRET_WORD" > said.txt\n\ttest "$$(cat said.txt)" = \'hi there psst\'\n'
    text = workflow(
        "cd app && make -C lib show WHO=there",
        extra="      - run: test -f sub/app/lib/said.txt\n",
    ).replace(
        "        run:",
        "        working-directory: sub\n        env:\n          GREETING: hi\n          SECRET_WORD: psst\n        run:",
    )
    path = repo(tmp_path / "r", text, {"sub/app/lib/Makefile": makefile})
    report, document = convert(path, run=settings(tmp_path))
    (task,) = templates(document)["job-ci--make"]["dag"]["tasks"]
    values = {p["name"]: p["value"] for p in task["arguments"]["parameters"]}
    assert values["working-directory"] == "sub/app/lib"
    assert "GREETING=hi" in values["env"] and "hi there" in values["script"]
    assert report.run == "Succeeded", report.run_message


def test_checkout_path_maps_the_workspace_to_the_repository(tmp_path: Path) -> None:
    before = "      - uses: actions/checkout@v4\n        with:\n          path: src\n"
    text = workflow("make all", before=before).replace(
        "        run:", "        working-directory: src\n        run:"
    )
    report, document = convert(repo(tmp_path / "r", text))
    assert report.make[0].tasks == 3
    tasks = templates(document)["job-ci--make"]["dag"]["tasks"]
    assert {
        p["value"] for t in tasks for p in t["arguments"]["parameters"] if p["name"] == "working-directory"
    } == {"src"}


def test_a_matrix_job_passes_its_leg_to_the_dag(tmp_path: Path) -> None:
    text = workflow("make all").replace(
        "    runs-on: ubuntu-latest\n",
        "    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        n: [1, 2]\n",
    )
    _, document = convert(repo(tmp_path / "r", text))
    dag = templates(document)["job-ci--make"]
    assert dag["inputs"] == {"parameters": [{"name": "leg"}]}
    call = job_steps(document)[2]
    assert call["arguments"]["parameters"] == [{"name": "leg", "value": "{{inputs.parameters.leg}}"}]


def test_only_tracked_files_are_read_in_a_git_repository(tmp_path: Path) -> None:
    """A checkout has no build outputs: an untracked up-to-date out/ does not hide tasks."""
    root = tmp_path / "r"
    path = repo(root, workflow("make all"))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["make", "all"], cwd=root, check=True, capture_output=True)
    report, _ = convert(path)
    assert report.make[0].tasks == 3


@pytest.mark.parametrize(
    ("run", "reason"),
    [
        ("make $(TARGET)", "decided at run time"),
        ("make all || true", "`||`"),
        ("make -C nowhere all", "no folder nowhere"),
        ("make -f other.mk all", "no other.mk"),
        ("make absent-target", "No rule to make target"),
    ],
)
def test_what_cannot_be_expanded_stays_one_step_with_the_reason(
    tmp_path: Path, run: str, reason: str
) -> None:
    report, document = convert(repo(tmp_path / "r", workflow(run)))
    assert reason in kept(report)
    step = job_steps(document)[2]
    assert step["templateRef"]["template"] == "step"
    assert {p["name"]: p["value"] for p in step["arguments"]["parameters"]}["script"] == run


def test_a_step_in_another_shell_stays_one_step(tmp_path: Path) -> None:
    text = workflow("make all").replace("        run:", "        shell: python\n        run:")
    report, _ = convert(repo(tmp_path / "r", text))
    assert kept(report) == "the step's shell is python, not a POSIX shell"
    text = workflow("make all").replace("        run:", "        shell: bash\n        run:")
    report, _ = convert(repo(tmp_path / "s", text))
    assert report.make[0].expanded


def test_shell_at_parse_time_and_recursive_make_stay_one_step(tmp_path: Path) -> None:
    shell = "STAMP := $(shell date > stamp; echo x)\nall:\n\techo $(STAMP)\n"
    report, _ = convert(repo(tmp_path / "a", workflow("make"), {"Makefile": shell}))
    assert "$(shell" in kept(report)
    recursive = "all:\n\t$(MAKE) -C lib\n"
    files = {"Makefile": recursive, "lib/Makefile": "all:\n\ttrue\n"}
    report, _ = convert(repo(tmp_path / "b", workflow("make"), files))
    assert "recursive make" in kept(report)


def test_a_variable_known_only_at_run_time_is_not_frozen(tmp_path: Path) -> None:
    text = workflow("make all").replace(
        "        run:", "        env:\n          OUT: ${{ github.sha }}\n        run:"
    )
    report, _ = convert(repo(tmp_path / "a", text, {"Makefile": "all:\n\techo $(OUT)\n"}))
    assert "reads OUT" in kept(report)
    report, _ = convert(
        repo(tmp_path / "b", workflow("make all"), {"Makefile": "all:\n\techo $(GITHUB_SHA)\n"})
    )
    assert "reads GITHUB_SHA" in kept(report)


def test_without_a_checkout_there_is_no_makefile_to_expand(tmp_path: Path) -> None:
    report, _ = convert(repo(tmp_path / "r", workflow("make all", before="")))
    assert "no actions/checkout" in kept(report)
    other = "      - uses: actions/checkout@v4\n        with:\n          repository: someone/else\n"
    report, _ = convert(repo(tmp_path / "s", workflow("make all", before=other)))
    assert "someone/else" in kept(report)


# Hostile input ---------------------------------------------------------------------------------


def test_make_outside_the_workspace_is_refused(tmp_path: Path) -> None:
    report, _ = convert(repo(tmp_path / "r", workflow("make -C ../../etc all")))
    assert kept(report).startswith("refused:")
    report, _ = convert(repo(tmp_path / "s", workflow("make -C /etc all")))
    assert kept(report).startswith("refused:")


def test_a_symlinked_makefile_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Makefile").write_text("all:\n\techo topsecret-token\n")
    root = tmp_path / "r"
    path = repo(root, workflow("make all"), {"README": "x"})
    (root / "Makefile").symlink_to(outside / "Makefile")
    report, document = convert(path)
    assert kept(report).startswith("refused:") and "symlink" in kept(report)
    assert "topsecret-token" not in json.dumps([report.to_json(), document])


def test_a_symlinked_folder_or_include_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Makefile").write_text("all:\n\techo secret\n")
    (outside / "rules.mk").write_text("X := secret\n")
    root = tmp_path / "r"
    path = repo(root, workflow("make -C linked all"), {"README": "x"})
    (root / "linked").symlink_to(outside)
    report, _ = convert(path)
    assert kept(report).startswith("refused:")
    root = tmp_path / "s"
    path = repo(root, workflow("make all"), {"Makefile": "include rules.mk\nall:\n\techo $(X)\n"})
    (root / "rules.mk").symlink_to(outside / "rules.mk")
    report, _ = convert(path)
    assert kept(report).startswith("refused:")


def test_a_makefile_that_includes_a_file_outside_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.mk"
    outside.write_text("all:\n\techo topsecret-token\n")
    makefile = f"include {outside}\n"
    report, document = convert(repo(tmp_path / "r", workflow("make all"), {"Makefile": makefile}))
    assert kept(report) == f"refused: make read {outside}, which is outside the repository"
    assert "topsecret-token" not in json.dumps(document)


def test_repo_option_is_the_root_nothing_outside_it_is_read(tmp_path: Path) -> None:
    """With --repo, the Makefile comes from that folder; a workflow's own folder is not used."""
    path = repo(tmp_path / "r", workflow("make all"))
    empty = tmp_path / "empty"
    empty.mkdir()
    report, _ = convert(path, expand=ExpandMake(empty))
    assert "no GNUmakefile or makefile or Makefile" in kept(report)


# The command line ------------------------------------------------------------------------------


def test_cli_expand_make_reports_the_count_in_json_and_text(tmp_path: Path) -> None:
    path = repo(tmp_path / "r", workflow("make all") + "      - run: make $(X)\n")
    runner = CliRunner()
    result = runner.invoke(
        app, ["-o", "json", "convert", "github-actions", "--expand-make", str(path)], catch_exceptions=False
    )
    payload = json.loads(result.stdout)
    assert payload["summary"]["makeCalls"] == {"expanded": 1, "kept": 1}
    assert [m["expanded"] for m in payload["workflows"][0]["make"]] == [True, False]
    report = tmp_path / "audit.md"
    result = runner.invoke(
        app,
        [
            "convert",
            "github-actions",
            "--expand-make",
            "--out-dir",
            str(tmp_path / "out"),
            "--report",
            str(report),
            str(path),
        ],
        catch_exceptions=False,
    )
    assert "Make calls: 2 (1 expanded into DAGs, 1 kept as one step)" in result.stdout
    assert "expanded into 3 task(s)" in report.read_text()
    assert "job-ci--make" in (tmp_path / "out" / "ci.yaml").read_text()


def test_without_the_option_make_steps_are_untouched(tmp_path: Path) -> None:
    path = repo(tmp_path / "r", workflow("make all"))
    result = run_convert_github_actions([path])
    assert result.audit.workflows[0].make == []
    assert "make" not in result.audit.to_json()["summary"].get("makeCalls", {})
    text = textwrap.dedent(result.files[0].text or "")
    assert "job-ci--make" not in text


def test_cli_repo_needs_expand_make_and_a_folder(tmp_path: Path) -> None:
    path = repo(tmp_path / "r", workflow("make all"))
    runner = CliRunner()
    alone = runner.invoke(app, ["convert", "github-actions", "--repo", str(tmp_path), str(path)])
    assert alone.exit_code == 2 and "--expand-make" in alone.output
    missing = runner.invoke(
        app, ["convert", "github-actions", "--expand-make", "--repo", str(tmp_path / "absent"), str(path)]
    )
    assert missing.exit_code == 2 and "not a directory" in missing.output

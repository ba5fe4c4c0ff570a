"""Which ``run:`` scripts are one make call (``--expand-make``), and what that call asks of make."""

from __future__ import annotations

import pytest

from wfsync.convert.gha.makecall import MakeCall, NotExpandable, parse_make_call


def call(script: str) -> MakeCall:
    found = parse_make_call(script)
    assert found is not None
    return found


def test_plain_goals_run_one_at_a_time() -> None:
    found = call("make lint test build\n")
    assert (found.goals, found.directory, found.jobs, found.variables) == (
        ["lint", "test", "build"],
        ".",
        None,
        [],
    )


@pytest.mark.parametrize(
    ("script", "directory"),
    [
        ("make -C lib all", "lib"),
        ("make -Clib all", "lib"),
        ("make --directory=lib all", "lib"),
        ("make --directory lib all", "lib"),
        ("cd app && make -C lib all", "app/lib"),
        ("cd app && cd sub && make", "app/sub"),
        ("make -C a -C b", "a/b"),
    ],
)
def test_directories_of_cd_and_dash_c_are_joined(script: str, directory: str) -> None:
    assert call(script).directory == directory


@pytest.mark.parametrize(
    ("script", "jobs"),
    [("make -j4 x y", 4), ("make -j 4 x", 4), ("make --jobs=3 x", 3), ("make -j x", 0), ("make -sj2", 2)],
)
def test_jobs(script: str, jobs: int) -> None:
    assert call(script).jobs == jobs


def test_variables_makefile_and_flags() -> None:
    found = call("make -s -i -f build.mk --no-print-directory test VERSION=1.2 'CFLAGS=-O2 -g' -- -odd")
    assert found.variables == ["VERSION=1.2", "CFLAGS=-O2 -g"]
    assert found.goals == ["test", "-odd"]
    assert (found.makefile, found.silent, found.ignore_errors) == ("build.mk", True, True)


@pytest.mark.parametrize(
    "script",
    ["npm test", "echo make", "./make.sh", "cd x && npm test", "# make\n", "", "makefile-lint ."],
)
def test_other_scripts_are_not_make_calls(script: str) -> None:
    assert parse_make_call(script) is None


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("make $(TARGET)", "decided at run time"),
        ("make $TARGET", "decided at run time"),
        ("make ${{ matrix.target }}", "${{ }}"),
        ("make test || true", "`||`"),
        ("make test | tee log", "`|`"),
        ("make test > log", "`>`"),
        ("make test; make build", "`;`"),
        ("make test\nmake build", "more than the make call"),
        ("make -k test", "-k"),
        ("make --always-make", "--always-make"),
        ("make src/*.o", "glob"),
        ("make --jobs=four", "not a number"),
    ],
)
def test_calls_the_graph_cannot_keep_say_why(script: str, reason: str) -> None:
    with pytest.raises(NotExpandable) as caught:
        parse_make_call(script)
    assert reason in str(caught.value)

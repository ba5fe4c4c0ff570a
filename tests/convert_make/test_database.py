"""make's database read with the real GNU make: the graph facts the converter relies on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wfsync.convert.make import MakeRequest, convert_makefile
from wfsync.convert.make.database import parse_database, read_database
from wfsync.errors import UsageError

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")

MAKEFILE = """\
.PHONY: all
all: out/b.txt c.txt | out
out:
\tmkdir -p out
out/%.txt: %.src | out
\tcp $< $@
c.txt: a b
\t@echo building $@; cat $^ > $@
\t-false
a b &:
\ttouch a b
log:: c.txt
\techo one >> log
log::
\techo two >> log
x.o: CFLAGS = -g
"""


def _db(tmp_path: Path, text: str = MAKEFILE, goals: tuple[str, ...] = ("all", "log")):  # type: ignore[no-untyped-def]
    (tmp_path / "Makefile").write_text(text)
    (tmp_path / "b.src").write_text("b\n")
    return read_database(tmp_path, None, goals, [])


def test_prerequisites_order_only_and_pattern_stem(tmp_path: Path) -> None:
    db = _db(tmp_path)
    [all_rule] = db.rules["all"]
    assert (all_rule.prerequisites, all_rule.order_only, all_rule.phony) == (
        ["out/b.txt", "c.txt"],
        ["out"],
        True,
    )
    [copy] = db.rules["out/b.txt"]
    assert (copy.prerequisites, copy.order_only, copy.stem, copy.recipe) == (
        ["b.src"],
        ["out"],
        "b",
        ["cp $< $@"],
    )
    assert copy.source == "Makefile:6"


def test_grouped_double_colon_and_target_variables(tmp_path: Path) -> None:
    db = _db(tmp_path)
    assert db.rules["a"][0].also_makes == ["b"]
    assert [(r.double_colon, r.prerequisites, r.recipe) for r in db.rules["log"]] == [
        (True, ["c.txt"], ["echo one >> log"]),
        (True, [], ["echo two >> log"]),
    ]
    assert db.rules["x.o"][0].variables == {"CFLAGS": "-g"}
    assert db.rules["c.txt"][0].recipe == ["@echo building $@; cat $^ > $@", "-false"]
    assert db.default_goal == "all"


def test_the_analysis_runs_in_a_copy(tmp_path: Path) -> None:
    _db(tmp_path, "$(shell touch parsed)\nall: ; +touch plus\n", ("all",))
    assert not (tmp_path / "parsed").exists()
    assert not (tmp_path / "plus").exists()


def test_last_database_wins() -> None:
    first = "# Make data base, printed on x\n# Files\n\nold: a\n\n# Finished Make data base\n"
    second = (
        "# Make data base, printed on y\n# Files\n\nnew: b | c\n#  Phony target (prerequisite of .PHONY).\n\n"
    )
    db = parse_database(first + second)
    assert "old" not in db.rules
    assert (db.rules["new"][0].prerequisites, db.rules["new"][0].order_only, db.rules["new"][0].phony) == (
        ["b"],
        ["c"],
        True,
    )


def test_missing_makefile_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text("all:\n")
    with pytest.raises(UsageError, match="missing.mk: no such makefile"):
        convert_makefile(MakeRequest(tmp_path, "missing.mk"))

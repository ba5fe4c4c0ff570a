"""The fast canonical writer (``wfsync.fmt.emit``) gives exactly ruamel's text, or refuses.

Proved three ways: its plain-word rule against ruamel's own choice on random strings; whole
documents of random strings (keys, flow and block values, ``|`` blocks) against ruamel; and
converted Makefiles (generated ones here, the kati corpus in the slow test) against
``render_ruamel``, ``wfsync fmt --check`` and a reload.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from ruamel.yaml import YAML

from tests.convert_make.kati import cases
from wfsync.commands.convert_make import LAYOUT, render, render_ruamel
from wfsync.convert.layout import commented
from wfsync.convert.make import MakeRequest, convert_makefile
from wfsync.fmt import emit
from wfsync.fmt.formatter import canonicalize, format_text, new_yaml

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")

ALPHABET = "ab Z09_-./:#,[]{}&*!|>'\"%@`?~=+<;$()\\\t\n\r\x00\x85\u00e9\u2028\ufeff\U0001f600"
CONTEXTS = ("block", "flow", "key", "flow key")


def _strings(seed: int, count: int, alphabet: str = ALPHABET) -> list[str]:
    rng = random.Random(seed)
    words = ["true", "False", "NULL", "yes", "No", "on", "y", "~", "1", "-1", "0o7", "1e3", ".inf", "---"]
    out = [*words, *(w + " x" for w in words), ""]
    while len(out) < count:
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))))
    return out


def _ruamel(document: dict[str, Any]) -> str:
    import io

    data = commented(document)
    canonicalize(data)
    buffer = io.StringIO()
    new_yaml().dump(data, buffer)
    return buffer.getvalue()


def test_the_plain_word_rule_agrees_with_ruamel() -> None:
    """Every string the rule calls plain, ruamel writes plain in every context (and the rule is used)."""
    plain = 0
    for text in _strings(1, 4000, "aZ_/09 .-:#$()=+&|@%!~^;<>*"):
        if emit._plain_everywhere(text):
            plain += 1
            assert all(emit._by_ruamel(text, context) == text for context in CONTEXTS), text
    assert plain > 300


@pytest.mark.parametrize("seed", range(6))
def test_random_documents_are_written_as_ruamel_writes_them(seed: int) -> None:
    # without YAML line breaks (refused, below) and ``?`` (ruamel writes ``{a: ?b}``, which it cannot read)
    strings = _strings(seed, 300, ALPHABET.translate(str.maketrans("", "", "\x85\u2028\u2029?")))
    rng = random.Random(seed)
    keys = [s for s in strings if s and not any(ch in s for ch in "\n\x85\u2028\u2029")]  # else ``? key``
    parameters = [{"name": a, "value": b} for a, b in zip(strings[::2], strings[1::2], strict=False)]
    lines = ["echo a", "\tcontinued", "", "x: y # z", "'q'", "tab\there"]
    blocks = ["\n".join(rng.sample(lines, 3)) + rng.choice(["", "\n", "\n\n"]) for _ in range(20)]
    document = {
        "kind": "Workflow",
        "apiVersion": "argoproj.io/v1alpha1",
        "metadata": {"annotations": {s: s for s in keys[:60]}, "generateName": "x-"},
        "spec": {
            "templates": [
                {
                    "dag": {"tasks": [{"arguments": {"parameters": parameters}, "name": "t"}]},
                    "name": "main",
                }
            ],
            "entrypoint": "main",
            "parallelism": rng.randint(0, 9),
            "list": [*strings[60:90], True, False, 3, *blocks],
            "blocks": {f"b{i}": text for i, text in enumerate(blocks)},
            "templateRef": {"name": strings[5], "clusterScope": True},
            "empty": {"list": [], "map": {}},
        },
    }
    try:
        fast = emit.dump(document, LAYOUT)
    except emit.Unsupported:
        pytest.fail("a document of strings, bools and ints must be supported")
    assert fast == _ruamel(document)
    assert YAML(typ="safe", pure=True).load(fast) == document  # (PyYAML reads ``?`` in flow as YAML 1.1)


@pytest.mark.parametrize(
    "document",
    [
        {"a": 1.5},
        {"a": None},
        {"a": [["nested"]]},
        {"templateRef": {"name": "x", "deep": {"b": 1}}},
        {"a": "x" * (emit.LONGEST + 1) + ": y"},
        {"k" * 130 + " z": 1},
        {"two\nlines": 1},
        {"a": "line\u2028separator: x"},
    ],
)
def test_shapes_it_does_not_reproduce_are_refused(document: dict[str, Any]) -> None:
    with pytest.raises(emit.Unsupported):
        emit.dump(document, LAYOUT)


def _generated(folder: Path, count: int) -> None:
    """Targets with awkward names, multi-line and quoted recipes, make's own output, a failure."""
    lines = [
        ".PHONY: all",
        "all: " + " ".join(f"T{i}+x.o" if i % 7 == 0 else f"t{i}.o" for i in range(count)),
    ]
    for i in range(count):
        name = f"T{i}+x.o" if i % 7 == 0 else f"t{i}.o"
        deps = " ".join(f"t{j}.o" for j in (i - 1, i // 2) if 0 <= j < i and j % 7)
        lines += [
            f"{name}: {deps}".rstrip(),
            "\t@echo 'building: $@' # {{x}}",
            f"\t$(info made {i})touch '$@'",
        ]
        if i % 5 == 0:
            lines += ["\tfor f in a b; do \\", '\t  echo "$$f\t"; \\', "\tdone"]
        if i % 11 == 0:
            lines += ["\techo yes", "\t-true", "\t: -f x"]  # ": x" is plain in a ruamel flow mapping
    (folder / "Makefile").write_text("\n".join(lines) + "\n")


def _check(text: str, ruamel_text: str, document: dict[str, Any]) -> None:
    assert text == ruamel_text
    assert format_text(text) == text  # wfsync fmt --check is clean
    assert yaml.safe_load(text) == document


@needs_make
@pytest.mark.parametrize("mode", ["dag", "serial"])
def test_generated_makefiles_render_as_ruamel_does(tmp_path: Path, mode: str) -> None:
    _generated(tmp_path, 60)
    for dry in (True, False):
        conversion = convert_makefile(MakeRequest(tmp_path, mode=mode, dry_run_recipes=dry, template=True))
        assert len(conversion.graph.tasks) >= 60
        _check(render(conversion), render_ruamel(conversion), conversion.document)


@needs_make
@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.skipif(not cases(), reason="../shared/corpus/make/kati is absent")
def test_kati_cases_render_as_ruamel_does(tmp_path: Path) -> None:
    for case in cases():
        workspace = tmp_path / case.stem
        workspace.mkdir()
        shutil.copy(case, workspace / "Makefile")
        conversion = convert_makefile(MakeRequest(workspace, dry_run_recipes=True))
        _check(render(conversion), render_ruamel(conversion), conversion.document)

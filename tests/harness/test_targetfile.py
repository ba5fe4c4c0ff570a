"""Editing one target in wfsync.yaml text: comments, order and layout kept; the result validates."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfsync.config import load_config
from wfsync.errors import ConfigError
from wfsync.harness.kind import Action
from wfsync.harness.targetfile import (
    MINIMAL_CONFIG,
    kind_target,
    remove_target,
    upsert_target,
    write_config_text,
)

SPEC = kind_target("kind-wfsync")

CONFIG = """\
# wfsync's configuration (a comment on top)
library: library   # where templates live
libraryId: demo
defaultTarget: kind-wfsync
targets:
  local:
    type: embedded
  # production: pushes need a confirmation
  prod:
    type: kubernetes
    context: "prod-ctx"
    namespace: argo
    allowedContexts:
      - prod-ctx   # only this one
    confirm: true
# lint policy
lint:
  disable: [image-tag]
"""


def _validates(tmp_path: Path, text: str) -> None:
    (tmp_path / "wfsync.yaml").write_text(text)
    load_config(tmp_path)


def test_add_keeps_every_comment_and_byte_of_the_rest(tmp_path: Path) -> None:
    edit = upsert_target(CONFIG, "kind-wfsync", SPEC)
    assert edit.action is Action.CREATED
    expected = CONFIG.replace(
        "    confirm: true\n",
        "    confirm: true\n"
        "  kind-wfsync:\n"
        "    type: kubernetes\n"
        "    context: kind-wfsync\n"
        "    namespace: argo\n"
        "    allowedContexts: [kind-wfsync]\n",
    )
    assert edit.text == expected  # '# lint policy' stays above lint:, quotes kept
    _validates(tmp_path, edit.text)
    target = load_config(tmp_path).targets["kind-wfsync"]
    assert (target.type, target.context, target.namespace) == ("kubernetes", "kind-wfsync", "argo")
    assert target.allowed_contexts == ("kind-wfsync",)


def test_same_target_again_is_unchanged_and_text_identical() -> None:
    once = upsert_target(CONFIG, "kind-wfsync", SPEC).text
    again = upsert_target(once, "kind-wfsync", SPEC)
    assert again.action is Action.UNCHANGED and again.text == once


def test_update_changes_only_managed_keys() -> None:
    text = CONFIG.replace(
        "  local:\n",
        "  kind-wfsync:\n    type: kubernetes\n    context: old   # stale\n    prune: never\n  local:\n",
    )
    edit = upsert_target(text, "kind-wfsync", SPEC)
    assert edit.action is Action.UPDATED
    block = edit.text.split("  kind-wfsync:\n", 1)[1].split("  local:", 1)[0]
    assert "context: kind-wfsync" in block and "prune: never" in block  # the user's own key kept
    assert "namespace: argo" in block and "allowedContexts: [kind-wfsync]" in block
    assert edit.text.index("kind-wfsync:") < edit.text.index("local:")  # stays where it was


@pytest.mark.parametrize(
    ("layout", "seq_line"),
    [
        (
            "targets:\n    prod:\n        type: kubernetes\n        context: p\n        allowedContexts:\n        -   p\n",
            "        -   p\n",
        ),
        (
            "targets:\n  prod:\n    type: kubernetes\n    context: p\n    allowedContexts:\n    - p\n",
            "    - p\n",
        ),
    ],
)
def test_layout_of_the_file_is_kept(layout: str, seq_line: str) -> None:
    edit = upsert_target(layout, "kind-wfsync", SPEC)
    assert edit.text.startswith(layout)
    assert seq_line in edit.text


@pytest.mark.parametrize("text", ["", "library: library\n", "library: library\ntargets:\n", "targets: {}\n"])
def test_targets_mapping_created_when_absent(tmp_path: Path, text: str) -> None:
    edit = upsert_target(text, "kind-wfsync", SPEC)
    assert edit.action is Action.CREATED
    assert "targets:\n  kind-wfsync:\n    type: kubernetes\n" in edit.text
    _validates(tmp_path, edit.text)


def test_minimal_config_is_valid_after_adding(tmp_path: Path) -> None:
    edit = upsert_target(MINIMAL_CONFIG, "kind-x", kind_target("kind-x"))
    assert edit.text.startswith("# Created by `wfsync cluster up`")
    _validates(tmp_path, edit.text)


def test_remove_keeps_the_comment_introducing_the_next_section(tmp_path: Path) -> None:
    added = upsert_target(CONFIG, "kind-wfsync", SPEC).text
    edit = remove_target(added, "kind-wfsync")
    assert edit.action is Action.REMOVED and edit.default_cleared
    assert edit.text == CONFIG.replace("defaultTarget: kind-wfsync\n", "")
    _validates(tmp_path, edit.text)
    assert load_config(tmp_path).default_target == "local"


def test_remove_middle_target_keeps_neighbours_comments() -> None:
    text = CONFIG.replace(
        "  # production",
        "  kind-wfsync:\n    type: kubernetes\n    context: kind-wfsync\n  # production",
    )
    edit = remove_target(text, "kind-wfsync")
    assert edit.text == CONFIG.replace("defaultTarget: kind-wfsync\n", "")
    assert edit.default_cleared


def test_remove_absent_target_is_a_no_op() -> None:
    edit = remove_target(CONFIG, "kind-other")
    assert edit.action is Action.ABSENT and edit.text == CONFIG and not edit.default_cleared
    assert remove_target("library: x\n", "kind-wfsync").action is Action.ABSENT


@pytest.mark.parametrize(
    "text",
    ["- a\n- b\n", "targets: [a]\n", "targets: {\n"],
)
def test_unusable_file_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        upsert_target(text, "kind-wfsync", SPEC)


def test_write_is_atomic_and_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "wfsync.yaml"
    path.write_text("old\n")
    path.chmod(0o640)
    write_config_text(path, "library: library\n")
    assert path.read_text() == "library: library\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["wfsync.yaml"]  # no temporary left behind

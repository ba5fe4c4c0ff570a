"""wfsync.yaml: defaults, validation with file:line, repository discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfsync.config import cache_root, default_config, find_root, load_config
from wfsync.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "wfsync.yaml").write_text(text)
    return tmp_path


def test_full_config(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            "library: templates\nlibraryId: team-a\ndefaultTarget: prod\n"
            "targets:\n  prod:\n    type: kubernetes\n    context: kind-prod\n    namespace: argo\n"
            "    allowedContexts: [kind-prod]\n    prune: true\n    confirm: true\n"
            "lint:\n  disable: [version-label]\n  warn: [when-syntax]\n",
        )
    )
    assert config.library == tmp_path / "templates"
    assert config.library_id == "team-a"
    prod = config.targets["prod"]
    assert (prod.type, prod.context, prod.namespace, prod.allowed_contexts, prod.prune, prod.confirm) == (
        "kubernetes",
        "kind-prod",
        "argo",
        ("kind-prod",),
        True,
        True,
    )
    assert "local" in config.targets and config.default_target == "prod"
    assert config.lint.disable == {"version-label"} and config.lint.warn == {"when-syntax"}


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "# nothing yet\n"))
    assert config.library == tmp_path / "library"
    assert list(config.targets) == ["local"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("libary: x\n", 1, "unknown key 'libary'"),
        ("targets:\n  t:\n    type: nomad\n", 3, "target type must be one of"),
        (
            "targets:\n  t:\n    prune: yes please\n",
            3,
            "prune must be true, false or never, not 'yes please'",
        ),
        ("targets:\n  t:\n    confirm: 1\n", 3, "must be true or false"),
        ("defaultTarget: nowhere\n", 1, "is not a defined target"),
        ("libraryId: Team_A\n", 1, "lowercase DNS label"),
        ("lint:\n  disable: version-label\n", 2, "must be a list of strings"),
        ("library: [\n", 2, ""),
        ("a: 1\n---\nb: 2\n", 3, "expected one YAML document"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert info.value.line == line
    assert message in str(info.value)
    assert str(info.value).startswith(f"{tmp_path / 'wfsync.yaml'}:{line}: ")


def test_root_discovery(tmp_path: Path) -> None:
    write(tmp_path, "library: library\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_root(deep) == tmp_path.resolve()
    assert cache_root(deep) == tmp_path.resolve()


def test_cache_root_outside_a_repository(tmp_path: Path) -> None:
    (tmp_path / "g" / ".git").mkdir(parents=True)
    (tmp_path / "g" / "x").mkdir()
    assert cache_root(tmp_path / "g" / "x") == (tmp_path / "g").resolve()
    assert find_root(tmp_path / "g" / "x") is None
    assert default_config(tmp_path).library_id == tmp_path.name.lower().replace("_", "-")


def test_prune_never_forbids_prune(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "targets:\n  prod:\n    prune: never\n  dev:\n    prune: true\n"))
    prod, dev = config.targets["prod"], config.targets["dev"]
    assert (prod.prune, prod.prune_forbidden) == (False, True)
    assert (dev.prune, dev.prune_forbidden) == (True, False)

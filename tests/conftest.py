"""Shared fixtures: the third-party corpus, isolated git and a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.kube.fixtures"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def corpus_root() -> Path:
    """``$WFSYNC_CORPUS`` or ``../shared/corpus`` beside the checkout."""
    env = os.environ.get("WFSYNC_CORPUS")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "corpus"


def corpus_path(*parts: str) -> Path:
    """A folder of the corpus, or skip the test with the reason when it is absent."""
    path = corpus_root().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus folder {path} is absent (set WFSYNC_CORPUS to the shared corpus)")
    return path


@pytest.fixture
def argo_examples() -> Path:
    """Argo's examples/ folder."""
    return corpus_path("argo", "examples")


@pytest.fixture
def argo_crds() -> Path:
    """Argo's full CRDs."""
    return corpus_path("argo", "crds")


@pytest.fixture(autouse=True)
def _isolate_git(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep a developer's git config and GIT_* variables out of every test."""
    home = tmp_path_factory.mktemp("home")
    for var in list(os.environ):
        if var.startswith("GIT_"):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "wfsync tests")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "tests@wfsync.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "wfsync tests")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tests@wfsync.invalid")
    monkeypatch.setenv("NO_COLOR", "1")

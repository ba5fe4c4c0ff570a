"""``wfsync library list|add|update``, ``init`` with the standard library, and the run fallback.

Every test works in a real git repository made in tmp (``wfsync init`` then ``git init``), through
Typer's CliRunner, with the packaged standard library (the repository's ``library/``).
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfsync import scaffold
from wfsync.cli.app import app
from wfsync.library import standard

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: uses-library}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: say
        templateRef: {name: run-script, template: run, clusterScope: true}
        arguments:
          parameters: [{name: source, value: "echo from the packaged library"}]
"""


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new wfsync repository without the standard library, committed to git."""
    root = tmp_path / "project"
    code, _, err = _invoke("init", str(root), "--no-library")
    assert code == 0, err
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    monkeypatch.chdir(root)
    return root


def test_init_adds_the_standard_library_by_default_and_it_lints_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = _invoke("init", str(tmp_path / "repo"))
    assert code == 0
    shipped = standard.standard()
    for family in shipped.values():
        assert f"created {tmp_path / 'repo' / 'library' / family.path.name}" in out
        assert (tmp_path / "repo" / "library" / family.path.name).read_bytes() == family.path.read_bytes()
    monkeypatch.chdir(tmp_path / "repo")
    assert _invoke("lint")[0] == 0
    assert _invoke("fmt", "--check")[0] == 0
    code, out, _ = _invoke("-o", "json", "library", "list")
    rows = json.loads(out)["templates"]
    assert {r["name"] for r in rows} == set(shipped)
    assert all(r["state"] == "current" for r in rows)


def test_list_add_never_overwrites_and_force_replaces(project: Path) -> None:
    code, out, _ = _invoke("library", "list")
    assert code == 0 and "github-action" in out and "missing" in out
    code, out, _ = _invoke("library", "add", "shell", "github-action")
    assert code == 0
    assert f"added     shell {standard.standard()['shell'].version}" in out
    assert (project / "library" / "github-action.yaml").is_file()
    code, out, _ = _invoke("library", "add", "shell")
    assert code == 0 and "unchanged shell" in out
    mine = project / "library" / "shell.yaml"
    mine.write_text(mine.read_text() + "# our note\n")
    code, _, err = _invoke("library", "add", "shell")
    assert code == 1 and "exists and differs" in err and "--force" in err
    assert mine.read_text().endswith("# our note\n")
    code, out, _ = _invoke("library", "add", "shell", "--force")
    assert code == 0 and "replaced  shell" in out
    assert mine.read_bytes() == standard.standard()["shell"].path.read_bytes()
    code, _, err = _invoke("library", "add", "no-such-family")
    assert code == 2 and "not in the standard library: no-such-family" in err
    assert _invoke("library", "add")[0] == 2
    code, out, _ = _invoke("library", "add", "--all")
    assert code == 0
    assert {p.name for p in (project / "library").glob("*.yaml")} >= {
        f.path.name for f in standard.standard().values()
    }


def test_a_family_vendored_under_another_file_name_is_not_duplicated(project: Path) -> None:
    packaged = standard.standard()["notify"].path.read_text()
    (project / "library" / "ours-notify.yaml").write_text(packaged)
    code, _, err = _invoke("library", "add", "notify")
    assert code == 1 and "ours-notify.yaml" in err and "library update notify" in err
    assert not (project / "library" / "notify.yaml").exists()


def test_update_shows_the_semantic_diff_and_version_change_then_writes(project: Path) -> None:
    assert _invoke("library", "add", "github-action")[0] == 0
    vendored = project / "library" / "github-action.yaml"
    packaged = standard.standard()["github-action"]
    old = packaged.path.read_text().replace(
        f'wfsync.io/version: "{packaged.version}"', 'wfsync.io/version: "0.9.0"'
    )
    old = old.replace(
        'else https://github.com.\n            default: ""',
        "else https://github.com.\n            default: https://git.example.com",
    )
    assert "git.example.com" in old
    vendored.write_text(old)
    code, out, _ = _invoke("library", "update", "--dry-run")
    assert code == 1
    assert f"would update github-action 0.9.0 -> {packaged.version}" in out
    assert "spec.templates[run].inputs.parameters[git-base-url].default" in out
    assert vendored.read_text() == old
    code, out, _ = _invoke("-o", "json", "library", "update")
    assert code == 0
    [entry] = json.loads(out)["templates"]
    assert entry["from"] == "0.9.0" and entry["to"] == packaged.version and entry["written"]
    assert {c["path"] for c in entry["changes"]} >= {
        "spec.templates[run].inputs.parameters[git-base-url].default"
    }
    assert vendored.read_bytes() == packaged.path.read_bytes()
    code, out, _ = _invoke("library", "update")
    assert code == 0 and f"github-action {packaged.version}: up to date" in out
    code, _, err = _invoke("library", "update", "cache")
    assert code == 2 and "wfsync library add cache" in err


def test_run_falls_back_to_the_packaged_library_and_says_so(project: Path) -> None:
    (project / "w.yaml").write_text(CHECKOUT)
    code, _, err = _invoke("run", "w.yaml")
    assert code == 0, err
    version = standard.standard()["run-script"].version
    assert f"using the packaged standard library for run-script {version}" in err
    assert _invoke("library", "add", "run-script")[0] == 0
    code, _, err = _invoke("run", "w.yaml")
    assert code == 0 and "packaged standard library" not in err


def test_convert_names_the_templates_its_output_needs(project: Path) -> None:
    workflows = project / ".github" / "workflows"
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo hi\n"
    )
    code, out, _ = _invoke("convert", "github-actions", str(workflows / "ci.yml"), "--out-dir", "argo")
    assert code in (0, 1)
    assert "Library templates the output calls: git-checkout, shell" in out
    assert "not in this project's library: git-checkout, shell" in out
    code, out, _ = _invoke(
        "-o", "json", "convert", "github-actions", str(workflows / "ci.yml"), "--out-dir", "argo"
    )
    assert json.loads(out)["library"] == {
        "needed": ["git-checkout", "shell"],
        "present": [],
        "missing": ["git-checkout", "shell"],
    }
    assert _invoke("library", "add", "git-checkout", "shell")[0] == 0
    code, out, _ = _invoke("convert", "github-actions", str(workflows / "ci.yml"), "--out-dir", "argo")
    assert "all of them are in this project's library" in out


def test_outside_a_repository_list_shows_the_packaged_library_and_add_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _invoke("library", "list")
    assert code == 0 and "github-action" in out and "missing" in out
    code, _, err = _invoke("library", "add", "shell")
    assert code == 2 and "wfsync init" in err


def test_the_wheel_carries_the_standard_library_where_the_code_looks() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    packaged = standard._PACKAGED.relative_to(ROOT)
    assert include["library"] == packaged.as_posix()
    assert standard.standard_dir() == ROOT / "library"  # a source checkout reads library/ itself


def test_scaffolded_ci_pins_the_installed_wfsync_where_ci_can_fetch_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Installed from a checkout whose origin is a remote: pinned to that commit.
    checkout = tmp_path / "wfsync-src"
    checkout.mkdir()
    _git(checkout, "init", "-q", "-b", "main")
    _git(checkout, "remote", "add", "origin", "https://git.example.com/platform/wfsync.git")
    _git(checkout, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x")
    commit = _git(checkout, "rev-parse", "HEAD")

    class Dist:
        def __init__(self, recorded: dict[str, object]) -> None:
            self.recorded = recorded

        def read_text(self, name: str) -> str:
            assert name == "direct_url.json"
            return json.dumps(self.recorded)

    import importlib.metadata

    monkeypatch.setattr(
        importlib.metadata,
        "distribution",
        lambda _: Dist({"url": checkout.as_uri(), "dir_info": {"editable": True}}),
    )
    step = scaffold.install_step()
    assert f'pip install "wfsync @ git+https://git.example.com/platform/wfsync.git@{commit}"' in step
    # Installed from git: that URL and commit.
    monkeypatch.setattr(
        importlib.metadata,
        "distribution",
        lambda _: Dist(
            {"url": "https://github.com/acme/wfsync", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}
        ),
    )
    assert 'pip install "wfsync @ git+https://github.com/acme/wfsync@abc123"' in scaffold.install_step()
    # A folder CI cannot reach: no line that pretends to work.
    _git(checkout, "remote", "remove", "origin")
    monkeypatch.setattr(
        importlib.metadata, "distribution", lambda _: Dist({"url": checkout.as_uri(), "dir_info": {}})
    )
    step = scaffold.install_step()
    assert "pip install wfsync\n" not in step and "vars.WFSYNC_PIP" in step and "exit 1" in step

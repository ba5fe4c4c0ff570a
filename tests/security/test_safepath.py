"""The containment rule itself (wfsync/safepath.py): the cases each entry point relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfsync import safepath
from wfsync.errors import ExitCode, InputError


@pytest.mark.parametrize(
    ("text", "normal"),
    [("/tmp/a/../b", "/tmp/b"), ("/mnt//out/./x", "/mnt/out/x"), ("//tmp/x", "/tmp/x"), ("rel/a", "rel/a")],
)
def test_container_paths_are_normalised(text: str, normal: str) -> None:
    assert safepath.container_path(text, what="path") == normal


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/tmp/../../some/dir", "leaves the container's root"),
        ("../x", "leaves the container's root"),
        ("/", "the container's root itself"),
        ("/a/..", "the container's root itself"),
        ("", "the container's root itself"),
        ("/tmp/a\x00b", "NUL"),
        ("/" + "x" * 256, "255 byte limit"),
        ("/" + "/".join(["d" * 200] * 21), "4096 byte path limit"),
    ],
)
def test_container_paths_that_cannot_stay_in_the_pod_are_input_errors(text: str, reason: str) -> None:
    with pytest.raises(safepath.PathEscapeError, match=reason) as caught:
        safepath.container_path(text, what="inputs.artifacts.0.path", path="wf.yaml", line=12)
    assert caught.value.exit_code is ExitCode.USAGE
    assert str(caught.value).startswith("wf.yaml:12: inputs.artifacts.0.path: ")
    assert isinstance(caught.value, InputError)


def test_within_refuses_dotdot_absolute_and_symlinks_out(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "out").symlink_to(outside)
    (root / "loop").symlink_to(root / "loop")
    assert safepath.within(root, "a/../b", what="x") == root / "b"
    for bad, reason in [
        ("../outside", "leaves"),
        ("/etc/passwd", "absolute"),
        ("C:/x", "absolute"),
        ("out/secret", "through a symlink"),
        ("loop/x", "through a symlink"),
        ("a/../../x", "leaves"),
    ]:
        with pytest.raises(safepath.PathEscapeError, match=reason):
            safepath.within(root, bad, what="uses")


def test_kubernetes_names_and_namespaces() -> None:
    assert safepath.namespace_problem("ci") is None
    assert safepath.namespace_problem("a" * 63) is None
    assert "63" in (safepath.namespace_problem("a" * 64) or "")
    assert safepath.namespace_problem("a.b") is not None  # a label has no dots
    assert safepath.name_problem("a.b-c") is None
    assert safepath.name_problem("../x") is not None
    assert safepath.name_problem("A") is not None
    assert "253" in (safepath.name_problem("a" * 254) or "")


def test_remove_deletes_only_strictly_inside_a_registered_run_directory(tmp_path: Path) -> None:
    run, outside = tmp_path / "run", tmp_path / "outside"
    (run / "pod" / "data").mkdir(parents=True)
    outside.mkdir()
    (outside / "keep").write_text("x")
    (run / "pod" / "link").symlink_to(outside)
    with pytest.raises(safepath.PathEscapeError, match="not inside a wfsync run directory"):
        safepath.remove(run / "pod" / "data")  # not registered yet
    with safepath.deletable(run):
        for bad in (
            run,
            run / "pod" / "..",
            run / "pod" / ".." / "..",
            outside,
            run / "pod" / "link" / "keep",
        ):
            with pytest.raises(safepath.PathEscapeError):
                safepath.remove(bad)
        safepath.remove(run / "pod" / "link")  # the link itself, never what it points to
        safepath.remove(run / "pod" / "data")
        with pytest.raises(safepath.PathEscapeError):
            safepath.in_run_directory(run / "pod" / ".." / ".." / "outside" / "x", what="artifact")
    assert (outside / "keep").read_text() == "x"
    assert run.is_dir() and not (run / "pod" / "data").exists() and not (run / "pod" / "link").exists()


def test_declared_paths_cover_every_place_a_pod_path_is_written() -> None:
    body = {
        "spec": {
            "templates": [
                {
                    "inputs": {"artifacts": [{"path": "/i"}]},
                    "outputs": {"artifacts": [{"path": "/o"}], "parameters": [{"valueFrom": {"path": "/p"}}]},
                    "container": {"volumeMounts": [{"mountPath": "/m"}]},
                    "initContainers": [{"volumeMounts": [{"mountPath": "/init"}]}],
                    "sidecars": [{"volumeMounts": [{"mountPath": "/side"}]}],
                },
                {"containerSet": {"containers": [{"volumeMounts": [{"mountPath": "/cs"}]}]}},
            ]
        }
    }
    found = {text: path for path, text in safepath.declared_paths(body)}
    assert set(found) == {"/i", "/o", "/p", "/m", "/init", "/side", "/cs"}
    assert found["/p"] == ("spec", "templates", 0, "outputs", "parameters", 0, "valueFrom", "path")
    cron = {"spec": {"workflowSpec": body["spec"]}}
    assert len(list(safepath.declared_paths(cron))) == len(found)

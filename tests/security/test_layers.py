"""A container's own writable layer (:mod:`wfsync.engine.layers`): real overlays, real processes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from wfsync.engine.layers import LAYER_FAILED, child_setup, plan_layer

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="overlays in a private mount namespace need root"
)


def test_one_overlay_covers_every_folder_of_one_filesystem(tmp_path: Path) -> None:
    for name in ("usr", "etc", "home"):
        (tmp_path / name).mkdir()
    plan = plan_layer(str(tmp_path))
    assert [o.lower for o in plan.overlays] == [str(tmp_path)]
    assert plan.tops == {"etc": "root/m/etc", "home": "root/m/home", "usr": "root/m/usr"}
    assert plan_layer(str(tmp_path), ["usr"]).tops == {"usr": "root/m/usr"}


def test_a_folder_on_another_filesystem_gets_its_own_overlay() -> None:
    proc = Path("/proc")
    if not proc.is_dir() or proc.stat().st_dev == Path("/").stat().st_dev:
        pytest.skip("/proc is not a separate filesystem here")
    plan = plan_layer("/", ["proc", "usr"])
    assert plan.tops["proc"] == "top-proc/m"
    assert [o.lower for o in plan.overlays if o.name == "top-proc"] == ["/proc"]


@needs_root
def test_writes_land_in_the_layer_and_vanish_with_the_process(tmp_path: Path) -> None:
    host = tmp_path / "host"
    (host / "data").mkdir(parents=True)
    (host / "data" / "kept.txt").write_text("host\n")
    layer = tmp_path / "layer"
    layer.mkdir()
    plan = plan_layer(str(host))
    view = layer / plan.tops["data"]
    script = f"cat {view}/kept.txt && echo pod > {view}/kept.txt && echo new > {view}/new.txt && cat {view}/kept.txt"
    done = subprocess.run(
        ["/bin/sh", "-c", script],
        preexec_fn=child_setup(layer, plan),  # noqa: PLW1509 - the code under test
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "host\npod\n"), done.stderr
    assert (host / "data" / "kept.txt").read_text() == "host\n"
    assert sorted(p.name for p in (host / "data").iterdir()) == ["kept.txt"]
    assert list(layer.iterdir()) == []  # the tmpfs went with the process's namespace


@needs_root
def test_a_layer_that_cannot_be_made_says_why(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    done = subprocess.run(
        ["true"],
        preexec_fn=child_setup(missing, plan_layer(str(tmp_path))),  # noqa: PLW1509
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == LAYER_FAILED
    assert f"wfsync sandbox: tmpfs at {missing}: No such file or directory" in done.stderr


def test_a_cgroup_that_cannot_be_joined_says_why(tmp_path: Path) -> None:
    procs = tmp_path / "gone" / "cgroup.procs"
    done = subprocess.run(
        ["true"],
        preexec_fn=child_setup(None, None, [procs]),  # noqa: PLW1509
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == LAYER_FAILED
    assert f"cannot join cgroup {procs}: No such file or directory" in done.stderr

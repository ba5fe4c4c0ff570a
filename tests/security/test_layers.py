"""A container's own writable layer (:mod:`wfsync.engine.layers`): real mounts, real files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from wfsync.engine.layers import FOLDER_PREFIX, Layers, plan_layer, sweep_stale

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mounting tmpfs and overlays needs root"
)


def _mounted(path: Path) -> bool:
    return any(line.split()[4] == str(path) for line in Path("/proc/self/mountinfo").read_text().splitlines())


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
def test_writes_land_in_the_layer_and_go_with_it(tmp_path: Path) -> None:
    host = tmp_path / "host"
    (host / "data").mkdir(parents=True)
    (host / "data" / "kept.txt").write_text("host\n")
    plan = plan_layer(str(host))
    layers = Layers(tmp_path / "pods" / f"{FOLDER_PREFIX}{os.getpid()}", plan)
    try:
        first, second = layers.make(), layers.make()
        view = first / plan.tops["data"]
        script = f"cat {view}/kept.txt && echo pod > {view}/kept.txt && echo new > {view}/new.txt && cat {view}/kept.txt"
        done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=False)
        assert (done.returncode, done.stdout) == (0, "host\npod\n"), done.stderr
        assert (second / plan.tops["data"] / "kept.txt").read_text() == "host\n"  # layers share nothing
        assert not (second / plan.tops["data"] / "new.txt").exists()
        layers.remove(first)
        assert not first.exists()
    finally:
        layers.close()
    assert (host / "data" / "kept.txt").read_text() == "host\n"
    assert sorted(p.name for p in (host / "data").iterdir()) == ["kept.txt"]
    assert not _mounted(second)
    assert not _mounted(layers.folder)
    assert not layers.folder.exists()


@needs_root
def test_layers_of_a_run_killed_outright_are_unmounted(tmp_path: Path) -> None:
    host = tmp_path / "host"
    (host / "data").mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs: its run was killed outright
    layers = Layers(tmp_path / "pods" / f"{FOLDER_PREFIX}{dead.pid}", plan_layer(str(host)))
    layer = layers.make()
    try:
        assert _mounted(layer)
        # only this test's mounts: other runs on this machine are never its to judge
        mountinfo = "\n".join(
            line for line in Path("/proc/self/mountinfo").read_text().splitlines() if str(tmp_path) in line
        )
        own = mountinfo.replace(f"{FOLDER_PREFIX}{dead.pid}", f"{FOLDER_PREFIX}{os.getpid()}")
        assert sweep_stale(own, alive=[]) == []  # this process's own layers are never swept
        assert _mounted(layer)
        assert sweep_stale(mountinfo, alive=[os.getpid()]) == [
            str(layer / "root" / "m"),
            str(layer),
            str(layers.folder),
        ]
        assert not _mounted(layer)
    finally:
        layers.close()

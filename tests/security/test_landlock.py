"""Host-process pods may write only beneath their own folders (Landlock), unless ``--allow-host-writes``.

Real pods on this kernel: each write outside (the real ``$HOME``, ``/usr/local``, ``/etc``, a path
computed at run time, ``../..`` of the workspace) must fail in the pod and leave nothing behind;
writes to the pod's own folders (workspace, ``/tmp``, ``$HOME``, a volume, an output) succeed.
Every file a failed restriction could create is uniquely named and removed in teardown.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from wfsync.commands.run import run_workflow
from wfsync.engine import landlock
from wfsync.engine.containers import HOST_WRITES_REFUSED, isolation_notes
from wfsync.engine.host import HostExecutor
from wfsync.engine.run import RunRequest, RunResult, run

ABI = landlock.abi_version()
needs_landlock = pytest.mark.skipif(ABI == 0, reason="this kernel has no Landlock (Linux 5.13+, enabled)")

_WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: writes}}
spec:
  entrypoint: main
  volumes: [{{name: data, emptyDir: {{}}}}]
  templates:
  - name: main
    script:
      image: busybox
      command: [sh]
      workingDir: /workspace
      volumeMounts: [{{name: data, mountPath: /data}}]
      env: [{{name: HEAD, value: "{head}"}}, {{name: TAIL, value: "{tail}"}}]
      source: |
{source}
    outputs:
      parameters: [{{name: said, valueFrom: {{path: /tmp/said.txt}}}}]
"""


def _workflow(tmp_path: Path, source: str, head: str = "", tail: str = "") -> Path:
    path = tmp_path / "wf.yaml"
    body = textwrap.indent(textwrap.dedent(source).strip(), " " * 8)
    path.write_text(_WORKFLOW.format(source=body, head=head, tail=tail), encoding="utf-8")
    return path


def _run(tmp_path: Path, path: Path, **kwargs: object) -> RunResult:
    request = RunRequest(path=path, state_dir=tmp_path / "state", runtime="host", **kwargs)  # type: ignore[arg-type]
    return run(request)


def _logs(result: RunResult) -> str:
    return "".join(text for _, text in result.logs)


@pytest.fixture
def unique(tmp_path: Path) -> Iterator[str]:
    """A file name no one else uses; removed wherever a failed restriction let it be written."""
    name = f"wfsync-landlock-probe-{os.getpid()}-{tmp_path.name}"
    yield name
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    for folder in (home, Path("/usr/local"), Path("/etc")):
        with_name = folder / name
        if with_name.exists():
            with_name.unlink()


def _targets(tmp_path: Path, name: str) -> dict[str, tuple[str, Path]]:
    """What each write tries (a shell redirection target) and where it would land on the host."""
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)  # the real one (the tests' $HOME is temporary)
    # ../.. of the workspace is the run's pods folder (gone with the run: the pod looks itself),
    # ../../../.. the state folder, which stays
    return {
        "home": (f"{home}/{name}", home / name),
        "usr-local": (f"/usr/local/{name}", Path("/usr/local", name)),
        "etc": (f"/etc/{name}", Path("/etc", name)),
        # joined at run time from two variables: no rewriting of the command text can see it
        "computed": (f'"$HEAD$TAIL/{name}"', outside / name),
        "up-two": (f"../../{name}", tmp_path / "state" / "pods-folder-checked-in-the-pod"),
        "up-four": (f"../../../../{name}", tmp_path / "state" / name),
    }


@needs_landlock
@pytest.mark.parametrize("where", ["home", "usr-local", "etc", "computed", "up-two", "up-four"])
def test_a_write_outside_the_pods_folders_fails_and_changes_nothing(
    tmp_path: Path, unique: str, where: str
) -> None:
    target, landing = _targets(tmp_path, unique)[where]
    head, tail = str(tmp_path / "outside")[:3], str(tmp_path / "outside")[3:]
    script = (
        f"echo said > /tmp/said.txt\necho x > {target}; code=$?\n[ -e {target} ] && echo LANDED\nexit $code"
    )
    result = _run(tmp_path, _workflow(tmp_path, script, head, tail))
    pod = next(n for n in result.status.nodes.values() if n.type == "Pod")
    assert pod.phase == "Failed", _logs(result)
    assert pod.message.startswith("main: Error (exit code ")  # Argo's message, the shell's code
    assert "Permission denied" in _logs(result)
    assert "LANDED" not in _logs(result)
    assert not landing.exists()


@needs_landlock
def test_writes_to_the_pods_own_folders_succeed(tmp_path: Path) -> None:
    source = """
        set -e
        echo ws > /workspace/a && echo tmp > /tmp/b && echo vol > /data/c && echo home > "$HOME/d"
        mkdir -p sub/deeper && mv a sub/deeper/a && ln -s sub/deeper/a link && : > /dev/null
        cat sub/deeper/a /tmp/b /data/c "$HOME/d" | tr '\\n' ' ' > /tmp/said.txt
    """
    result = _run(tmp_path, _workflow(tmp_path, source))
    assert result.status.phase == "Succeeded", _logs(result)
    pod = next(n for n in result.status.nodes.values() if n.type == "Pod")
    said = {p["name"]: p["value"] for p in pod.outputs["parameters"]}["said"]
    assert said == "ws tmp vol home "


@needs_landlock
def test_allow_host_writes_lets_a_write_outside_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    head, tail = str(outside)[:3], str(outside)[3:]
    path = _workflow(tmp_path, 'echo x > "$HEAD$TAIL/through" && echo ok > /tmp/said.txt', head, tail)
    refused = _run(tmp_path, path)
    assert refused.status.phase == "Failed"
    assert not (outside / "through").exists()
    allowed = _run(tmp_path, path, allow_host_writes=True)
    assert allowed.status.phase == "Succeeded", _logs(allowed)
    assert (outside / "through").read_text(encoding="utf-8") == "x\n"


@needs_landlock
def test_the_run_summary_says_why_once(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    head, tail = str(outside)[:3], str(outside)[3:]
    path = _workflow(tmp_path, 'echo x > "$HEAD$TAIL/a"; echo x > "$HEAD$TAIL/b"', head, tail)
    notes: list[str] = []
    result = run_workflow(path, cwd=tmp_path, runtime="host", notify=notes.append)
    assert result.status.phase == "Failed"
    assert result.status.notes.count(HOST_WRITES_REFUSED) == 1
    assert notes == []  # host chosen, writes refused: nothing lacking to announce
    ok = _workflow(tmp_path, "echo ok > /tmp/said.txt")
    assert HOST_WRITES_REFUSED not in run_workflow(ok, cwd=tmp_path, runtime="host").status.notes


def test_without_landlock_the_run_says_writes_are_not_prevented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(landlock, "abi_version", lambda: 0)  # an old kernel, or macOS
    outside = tmp_path / "outside"
    outside.mkdir()
    head, tail = str(outside)[:3], str(outside)[3:]
    path = _workflow(tmp_path, 'echo x > "$HEAD$TAIL/through" && echo ok > /tmp/said.txt', head, tail)
    notes: list[str] = []
    result = run_workflow(path, cwd=tmp_path, runtime="host", notify=notes.append)
    assert result.status.phase == "Succeeded"  # the host runtime keeps working
    assert (outside / "through").exists()
    assert len(notes) == 1 and "NOT prevented" in notes[0] and "no Landlock" in notes[0]
    assert HOST_WRITES_REFUSED not in result.status.notes


def test_the_notes_say_what_stops_host_writes() -> None:
    assert isolation_notes("host", HostExecutor(allow_host_writes=True), allow_host_writes=True) == [
        "host runtime: --allow-host-writes: pods may write anywhere on the host this user can"
    ]
    fallback = isolation_notes("auto", None)
    assert fallback[0].startswith("runtime auto: no sandbox here")
    said = "refused (Landlock ABI" if ABI else "NOT prevented"
    assert said in fallback[-1]


def test_each_abi_handles_the_write_rights_it_knows() -> None:
    v1 = landlock.write_rights(1)
    assert landlock.write_rights(0) == 0
    assert v1 & landlock.WRITE_FILE and v1 & landlock.MAKE_REG and v1 & landlock.REMOVE_FILE
    assert not v1 & (landlock.REFER | landlock.TRUNCATE | landlock.IOCTL_DEV)
    assert landlock.write_rights(2) == v1 | landlock.REFER
    assert landlock.write_rights(3) == v1 | landlock.REFER | landlock.TRUNCATE
    assert landlock.write_rights(4) == landlock.write_rights(3)  # ABI 4 added network rights
    assert (
        landlock.write_rights(7) == landlock.write_rights(5) == landlock.write_rights(3) | landlock.IOCTL_DEV
    )
    assert not landlock.write_rights(7) & (1 << 0 | 1 << 2 | 1 << 3)  # execute, read file, read dir


def _confined(abi: int, allowed: Path, script: str) -> subprocess.CompletedProcess[str]:
    with landlock.ruleset(abi, [allowed]) as rules:
        return landlock.spawn(
            rules, lambda: subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=False)
        )


@needs_landlock
@pytest.mark.parametrize("abi", sorted({1, 2, 3, ABI}))
def test_older_abis_are_masked_to_what_they_know(tmp_path: Path, abi: int) -> None:
    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir()
    outside.mkdir()
    (inside / "sub").mkdir()
    proc = _confined(
        abi, inside, f"echo a > {inside}/a && echo b > {outside}/b; ln {inside}/a {inside}/sub/a"
    )
    assert (inside / "a").exists()
    assert not (outside / "b").exists()
    assert "Permission denied" in proc.stderr
    # ABI 1 knows no REFER: every link or rename across folders is refused, inside too (EXDEV)
    assert (inside / "sub" / "a").exists() == (abi >= 2)


@needs_landlock
def test_the_callers_thread_stays_unrestricted(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    proc = _confined(ABI, allowed, f"echo x > {tmp_path}/refused")
    assert proc.returncode != 0 and not (tmp_path / "refused").exists()
    (tmp_path / "mine").write_text("x", encoding="utf-8")  # this thread, and any other, may write
    other = threading.Thread(target=(tmp_path / "theirs").write_text, args=("x",))
    other.start()
    other.join()
    assert (tmp_path / "theirs").exists()

"""The test API server in a process of its own (``python -m tests.kube.server``), driven over a pipe.

Benchmarks use it so the server's JSON work does not share the client's GIL, as with a real API
server; requests are still counted by the server, by Kubernetes verb.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent.parent


class KubeServerProcess:
    """Start, drive and stop ``python -m tests.kube.server``."""

    def __init__(self, kubeconfig: Path, *, argo_crds: bool = False) -> None:
        self.kubeconfig = kubeconfig
        self.argo_crds = argo_crds
        self._proc: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> KubeServerProcess:
        """Start it and wait until it listens (it writes the kubeconfig first)."""
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.kube.server", "--kubeconfig", str(self.kubeconfig)]
            + (["--argo-crds"] if self.argo_crds else []),
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        hello = self._stdout.readline()
        if not hello:
            self.stop()
            raise RuntimeError("the test API server process exited before it listened")
        self.port = int(json.loads(hello)["port"])
        return self

    @property
    def _stdout(self) -> IO[str]:
        assert self._proc is not None and self._proc.stdout is not None, "not started"
        return self._proc.stdout

    def call(self, op: str, **args: Any) -> Any:
        """Send one control command and return its answer (errors raise)."""
        assert self._proc is not None and self._proc.stdin is not None, "not started"
        self._proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self._proc.stdin.flush()
        line = self._stdout.readline()
        if not line:
            raise RuntimeError(f"the test API server process died (exit {self._proc.poll()})")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"test API server: {answer['error']}")
        return answer["ok"]

    def requests(self, *, clear: bool = True) -> dict[str, int]:
        """Requests answered since the last clear, by Kubernetes verb."""
        return {str(k): int(v) for k, v in self.call("requests", clear=clear).items()}

    def remove(self, plural: str, namespace: str | None, name: str) -> bool:
        """Delete an object behind the API's back."""
        return bool(self.call("remove", plural=plural, namespace=namespace, name=name))

    def stop(self) -> None:
        """Stop it (politely, then not); safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()  # end of input: it stops
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()

    def __enter__(self) -> KubeServerProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

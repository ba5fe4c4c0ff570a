"""Readiness of a daemon's pod on this host: Kubernetes ``readinessProbe`` httpGet and tcpSocket.

Pods run as host processes, so the pod IP is ``127.0.0.1`` and a probe's port is the host's.
Probes are retried quickly (every 0.1 s rather than ``periodSeconds``): a probe only says when
the daemon became ready, so polling faster changes no verdict.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

POD_IP = "127.0.0.1"
_POLL = 0.1


def probe_reason(probe: Any) -> str | None:
    """Why this readinessProbe cannot be checked locally (None when it can)."""
    if not isinstance(probe, dict):
        return None
    if "exec" in probe or "grpc" in probe:
        return "readinessProbe exec/grpc is not implemented locally"
    action = probe.get("httpGet") or probe.get("tcpSocket")
    if (
        isinstance(action, dict)
        and not str(action.get("port", "")).isdigit()
        and "{{" not in str(action.get("port"))
    ):
        return f"readinessProbe port {action.get('port')!r} must be a number locally"
    return None


def ready_once(probe: Mapping[str, Any]) -> bool:
    """One probe attempt."""
    timeout = float(probe.get("timeoutSeconds") or 1)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        scheme = str(http.get("scheme") or "HTTP").lower()
        path = str(http.get("path") or "/")
        url = f"{scheme}://{POD_IP}:{int(http['port'])}{path if path.startswith('/') else '/' + path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return 200 <= int(response.status) < 400
        except (urllib.error.URLError, OSError, ValueError):
            return False
    tcp = probe.get("tcpSocket")
    if isinstance(tcp, dict):
        try:
            with socket.create_connection((POD_IP, int(tcp["port"])), timeout=timeout):
                return True
        except OSError:
            return False
    return True


def wait_ready(probe: Mapping[str, Any] | None, stop: threading.Event) -> bool:
    """Block until the probe passes (True) or ``stop`` is set (False); no probe: ready at once."""
    if not probe:
        return not stop.is_set()
    if stop.wait(float(probe.get("initialDelaySeconds") or 0)):
        return False
    while not stop.is_set():
        if ready_once(probe):
            return True
        time.sleep(_POLL)
    return False

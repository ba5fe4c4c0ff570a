"""Targets: where a library is pushed (a pure description; the cluster adapters act on it)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Target:
    """Where templates are pushed: the embedded cluster or a kubeconfig context."""

    name: str
    type: str = "embedded"
    context: str | None = None
    namespace: str = "default"
    allowed_contexts: tuple[str, ...] = ()
    prune: bool = False
    """Every push prunes (``prune: true``); otherwise only with ``--prune``."""
    prune_forbidden: bool = False
    """``prune: never``: a push with ``--prune`` is refused before any request (a production guard)."""
    confirm: bool = False
    kubeconfig: str | None = None
    """Path of the kubeconfig file (relative to the repository root); None: $KUBECONFIG or ~/.kube/config."""

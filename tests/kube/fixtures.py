"""Pytest fixtures for the Kubernetes test server; import them into a test module to use them.

::

    from tests.kube.fixtures import kube_server, kubeconfig  # noqa: F401 (pytest fixtures)

    def test_push(kube_server: KubeServer, kubeconfig: Path) -> None: ...

``kube_server`` is a fresh server per test; ``shared_kube_server`` is one per module, reset before
each test that uses it (cheaper when a module has many tests; import ``module_kube_server`` with
it). ``kubeconfig`` points at whichever of the two the test uses. Ruff flags such imports as
redefinitions (F811) where a test takes them as arguments; ``pytest_plugins = ["tests.kube.fixtures"]``
in the root conftest avoids the imports altogether.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kube.schema import argo_crds_available, argo_schemas
from tests.kube.server import KubeServer

NO_ARGO_CRDS = "Argo's full CRDs are not in ../shared/corpus/argo/crds (the corpus is absent)"


@pytest.fixture
def kube_server() -> Iterator[KubeServer]:
    """A running server with the four Argo CRDs installed, stopped after the test."""
    with KubeServer() as server:
        yield server


@pytest.fixture
def argo_kube_server() -> Iterator[KubeServer]:
    """A running server that applies Argo's full CRD schemas (defaults, pruning); skips without the corpus."""
    if not argo_crds_available():
        pytest.skip(NO_ARGO_CRDS)
    with KubeServer() as server:
        server.use_schemas(argo_schemas())
        yield server


@pytest.fixture(scope="module")
def module_kube_server() -> Iterator[KubeServer]:
    """One server for the whole module, not reset (use ``shared_kube_server`` in tests)."""
    with KubeServer() as server:
        yield server


@pytest.fixture
def shared_kube_server(module_kube_server: KubeServer) -> KubeServer:
    """The module's server, reset to a fresh state for this test."""
    module_kube_server.reset()
    return module_kube_server


@pytest.fixture
def kubeconfig(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A kubeconfig file in ``tmp_path`` for the server this test uses (``kube_server`` by default)."""
    names = [n for n in ("shared_kube_server", "argo_kube_server") if n in request.fixturenames]
    name = names[0] if names else "kube_server"
    server: KubeServer = request.getfixturevalue(name)
    return server.write_kubeconfig(tmp_path / "kubeconfig")

"""Make the test server's fixtures available to the tests in this folder."""

from tests.kube.fixtures import kube_server, kubeconfig, module_kube_server, shared_kube_server

__all__ = ["kube_server", "kubeconfig", "module_kube_server", "shared_kube_server"]

"""Cluster adapters: one narrow interface, an embedded store and a Kubernetes backend (issue 3)."""

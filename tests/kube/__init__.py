"""A loopback Kubernetes API server for the sync tests (kmock lacks the write semantics they need)."""

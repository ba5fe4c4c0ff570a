"""Pure types shared by every layer: documents and their identity, findings.

Nothing here does I/O or imports a third-party client; Kubernetes objects stay plain dicts.
"""

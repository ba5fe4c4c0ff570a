"""The local engine: runs Argo workflows on one machine with the controller's semantics.

Expressions (``{{=...}}``, ``when``, ``depends``) come from :mod:`wfsync.expressions`.
"""

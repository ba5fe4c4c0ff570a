"""The local engine: runs Argo workflows on one machine with the controller's semantics.

Pure building blocks live in submodules (``exprlang`` for ``{{=...}}`` expressions, ``govaluate``
for ``when``, ``depends`` for DAG dependency logic) so the scheduler can call them without I/O.
"""

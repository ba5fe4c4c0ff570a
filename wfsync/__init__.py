"""wfsync: GitOps for Argo Workflows.

The package is layered (see DESIGN.md): ``cli`` wires Typer to ``commands``, commands call the
domain services (``library``, ``lint``, ``fmt`` ...), and everything rests on the pure types in
``model``. Only the root package re-exports names.
"""

__version__ = "0.1.0"

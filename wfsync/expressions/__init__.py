"""Argo's three expression languages, as pure functions.

``exprlang`` evaluates ``{{=...}}`` tags and ``expression`` fields (expr-lang), ``govaluate``
decides ``when`` (with Argo's variables-become-strings quirk) and ``depends`` evaluates DAG
dependency logic. Lint checks their syntax; the engine evaluates them.
"""

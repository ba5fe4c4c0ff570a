"""``if:`` conditions: the status check (success/always/failure/cancelled) and an Argo ``when``."""

from __future__ import annotations

from wfsync.convert.gha.compiler import to_argo_condition
from wfsync.convert.gha.expressions import find_expressions, parse, truthy
from wfsync.convert.gha.expressions.nodes import Call, Expr, Logical, Not
from wfsync.convert.gha.report import WorkflowReport
from wfsync.convert.gha.translate import Scope, Untranslatable, fold_tree, status_calls

TERMINAL = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted")
"""Task results after which a dependant with ``always()`` runs."""


def split_status(text: str, where: str, report: WorkflowReport) -> tuple[str, Expr | None]:
    """The status check of an ``if`` (success/always/failure/cancelled) and the rest of it."""
    body = text.strip()
    spans = find_expressions(body) if "${{" in body else []
    if spans and len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(body):
        body = spans[0].expression
    elif spans:
        report.attend(f"{where}: if with text around ${{{{ }}}} is always true on GitHub")
        return "success", None
    tree = parse(body)
    if not status_calls(tree):
        return "success", tree
    parts = list(tree.args) if isinstance(tree, Logical) and tree.op == "&&" else [tree]
    status = [p for p in parts if _is_status(p)]
    others = [p for p in parts if not _is_status(p)]
    if len(status) != 1 or any(status_calls(o) for o in others):
        report.attend(f"{where}: the condition {text!r} mixes status functions; it runs as if always()")
        kind = "always"
    else:
        kind = _status_kind(status[0])
    rest: Expr | None = None
    if len(others) == 1:
        rest = others[0]
    elif others:
        rest = Logical("&&", tuple(others))
    return kind, rest


def when(tree: Expr, scope: Scope, where: str, report: WorkflowReport) -> str:
    """``''`` (always true, also when not converted), ``'false'`` or an Argo ``{{=...}}`` tag.

    The caller records the workflow parameters a tag reads (``scope.used_parameters``).
    """
    try:
        ok, value = fold_tree(tree, scope)
        if ok:
            return "" if truthy(value) else "false"
        condition = to_argo_condition(tree, scope)
    except Untranslatable as err:
        report.attend(f"{where}: condition not converted ({err}); it is treated as true")
        return ""
    return f"{{{{={condition}}}}}"


def _is_status(node: Expr) -> bool:
    if isinstance(node, Call) and node.name.lower() in ("success", "failure", "always", "cancelled"):
        return True
    return (
        isinstance(node, Not) and isinstance(node.operand, Call) and node.operand.name.lower() == "cancelled"
    )


def _status_kind(node: Expr) -> str:
    if isinstance(node, Not):
        return "always"  # !cancelled(): nothing is ever cancelled here
    assert isinstance(node, Call)
    return node.name.lower()

"""GitHub Actions ``${{ }}`` expressions: parser, evaluator and string interpolation.

A pure-Python implementation of GitHub's expression language, checked against GitHub's own
test data (``actions/languageservices`` ``expressions/testdata``). The converter uses it to fold
expressions whose inputs are known at conversion time (see :func:`referenced_contexts`) and the
step driver to evaluate the rest.

- :func:`parse` text to a cached tree, :func:`evaluate` a tree or text against contexts;
- :func:`find_expressions`, :func:`evaluate_template` (always a string) and
  :func:`evaluate_field` (keeps the type of a value that is one whole expression);
- :func:`referenced_contexts` / :func:`referenced_functions` tell whether an expression is
  known at conversion time (status functions and ``hashFiles`` never are).
"""

from wfsync.convert.gha.expressions.errors import ExpressionError
from wfsync.convert.gha.expressions.evaluate import evaluate
from wfsync.convert.gha.expressions.functions import BUILTINS, STATUS_FUNCTIONS, Function, JobStatus, Runtime
from wfsync.convert.gha.expressions.nodes import Expr, referenced_contexts, referenced_functions, walk
from wfsync.convert.gha.expressions.parser import parse
from wfsync.convert.gha.expressions.templates import (
    ExpressionSpan,
    evaluate_field,
    evaluate_template,
    find_expressions,
    has_expressions,
)
from wfsync.convert.gha.expressions.values import FilteredArray, to_string, truthy

__all__ = [
    "BUILTINS",
    "STATUS_FUNCTIONS",
    "ExpressionError",
    "ExpressionSpan",
    "Expr",
    "FilteredArray",
    "Function",
    "JobStatus",
    "Runtime",
    "evaluate",
    "evaluate_field",
    "evaluate_template",
    "find_expressions",
    "has_expressions",
    "parse",
    "referenced_contexts",
    "referenced_functions",
    "to_string",
    "truthy",
    "walk",
]

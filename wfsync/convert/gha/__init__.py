"""GitHub Actions to Argo Workflows: parse and check workflows, convert them, report what needs a person.

- :mod:`.parse` reads a workflow as GitHub does (YAML 1.2, schema, ids, needs graph, calls);
- :mod:`.rules` loads the rule packs in ``converters/gha`` and ``--rules`` folders;
- :mod:`.convert` builds the Argo document, :mod:`.jobs` one job's template, :mod:`.script` the
  ``run:`` steps for the library's ``shell/step``; :mod:`.translate` folds or compiles ``${{ }}``;
- :mod:`.matrix` expands ``strategy.matrix`` known now, :mod:`.matrix_runtime` one known at run
  time (a generator task); :mod:`.composite` inlines local actions;
- :mod:`.report` is the audit (per workflow verdicts, step counts, manual tasks).
"""

from wfsync.convert.gha.api import convert_file, convert_text
from wfsync.convert.gha.convert import Conversion
from wfsync.convert.gha.parse import InvalidWorkflow, ParseOptions, parse_workflow
from wfsync.convert.gha.report import AuditReport, WorkflowReport
from wfsync.convert.gha.rules import RuleError, RuleSet, load_rules

__all__ = [
    "AuditReport",
    "Conversion",
    "InvalidWorkflow",
    "ParseOptions",
    "RuleError",
    "RuleSet",
    "WorkflowReport",
    "convert_file",
    "convert_text",
    "load_rules",
    "parse_workflow",
]

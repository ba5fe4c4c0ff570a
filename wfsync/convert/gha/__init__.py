"""GitHub Actions to Argo Workflows: parse and check workflows, convert them, report what needs a person.

Imports go one way, top to bottom:

- :mod:`.api` converts a file or text; :mod:`.batch`, :mod:`.layout` and :mod:`.localrun` serve
  the command (output names and writing, YAML layout, ``--run``);
- :mod:`.convert` builds the document (with :mod:`.document`, :mod:`.dag`, :mod:`.triggers`,
  :mod:`.runners`, :mod:`.conditions`), :mod:`.reusable` inlines called workflows;
- :mod:`.jobs` builds one job's template over :mod:`.jobstate`: :mod:`.runsteps` (``run:``),
  :mod:`.makesteps` (``run: make X`` as the Makefile's DAG with ``--expand-make``; the call is
  read by :mod:`.makecall`), :mod:`.actionsteps` (``uses:`` and rules), :mod:`.services`;
  :mod:`.values` and :mod:`.shellwords` turn ``${{ }}`` into env lines and shell words;
- :mod:`.plans` (job plans, the converter's protocol) and :mod:`.argo` (names, library calls) sit
  below all of them; :mod:`.translate` folds expressions, :mod:`.compiler` compiles them to
  expr-lang; :mod:`.matrix` and :mod:`.matrix_runtime` expand matrices; :mod:`.composite` inlines
  local actions;
- :mod:`.parse` (with :mod:`.schema`, :mod:`.callchecks`) reads a workflow as GitHub does;
  :mod:`.rules` loads the rule packs; :mod:`.report` is the audit.
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

"""Makefile to Argo DAG: GNU make's database for the graph, a recorded real run for the recipes.

Modules: :mod:`.database` (``make -p -n``), :mod:`.record` (the recording run), :mod:`.graph`
(tasks and edges), :mod:`.nested` (sub-makes as nested DAGs), :mod:`.emit` (the Argo document),
:mod:`.shellscript` (one recipe as a plain sh script, for ``convert github-actions --expand-make``),
:mod:`.convert` (the whole conversion and its report).
"""

from wfsync.convert.make.convert import MakeConversion, MakeRequest, convert_makefile

__all__ = ["MakeConversion", "MakeRequest", "convert_makefile"]

"""The local engine: runs Argo workflows on one machine with the controller's semantics.

``run.run(RunRequest)`` loads a Workflow (or a WorkflowTemplate, as ``argo submit --from``),
joins ``workflowTemplateRef`` specs, refuses what it cannot run faithfully before running
(``support.preflight``: ``unsupported: ...`` reasons) and reconciles it with
``scheduler.Operation``, a port of the controller's ``operate()`` passes (steps, DAG, loops,
retries, ``when``, exit handlers, deadlines, suspend with a duration, outputs and artifacts),
composed of one module per concern as the controller splits them (``steps``, ``dag``,
``hooks``, ``retries``, ``parallelism``, ``synchronization``, ``pods``, ``outputs``, ...).
Pods go through the ``executor.Executor`` interface; ``host.HostExecutor`` runs them as host
processes with a per-pod root for declared paths. ``status`` is the node model Argo writes
(names, FNV-1a IDs, display names, phases), ``substitute`` the ``{{...}}`` engine, ``params``
argument binding and loop expansion, ``templates`` template resolution, ``artifacts`` the local
artifact repository and ``report`` the ``argo get``-style tree.

Expressions (``{{=...}}``, ``when``, ``depends``) come from :mod:`wfsync.expressions`.
"""

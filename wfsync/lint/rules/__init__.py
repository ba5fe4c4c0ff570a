"""Argo's validation rules (``workflow/validate/validate.go``), ported to plain dicts.

Each rule id names one class of problem so users can disable it in ``wfsync.yaml`` and tests can
assert it. :data:`RULES` is the catalogue shown by ``wfsync lint --list-rules``.
"""

RULES: dict[str, str] = {
    "yaml-syntax": "the file is not valid YAML (or repeats a key, which Argo's strict decoder rejects)",
    "file-refused": "the file is a symlink leaving the repository, not a regular file, too large, or over a YAML limit (nesting, aliases, nodes)",
    "file-unreadable": "the file cannot be read as UTF-8 text",
    "not-an-object": "a YAML document is not a mapping",
    "api-version": "an Argo kind with an apiVersion other than argoproj.io/v1alpha1",
    "kind-not-in-library": "a Workflow or CronWorkflow inside the library folder",
    "duplicate-identity": "two documents define the same kind/namespace/name",
    "schema-unknown-field": "a field Argo does not know (argo lint --strict rejects it)",
    "schema-type": "a value of the wrong type",
    "schema-required": "a required field is missing",
    "name-format": "a name or namespace that Argo or Kubernetes rejects (RFC 1123 format or length)",
    "path-traversal": "an artifact, output parameter or volume mount path with a '..' segment",
    "template-duplicate": "two templates with the same name",
    "template-type": "a template with no body type, or with more than one",
    "entrypoint-missing": "spec.entrypoint is missing or names no template",
    "template-not-found": "a step, task or hook names a template that does not exist",
    "templateref-not-found": "a templateRef or workflowTemplateRef names a template not in the library",
    "templateref-scope": "a templateRef's clusterScope does not match the kind it resolves to",
    "step-duplicate": "two steps (or tasks) of one template with the same name",
    "dag-dependency-missing": "a DAG task depends on a task that does not exist",
    "dag-cycle": "DAG tasks depend on each other in a cycle",
    "dag-depends-mixed": "depends and dependencies used in one DAG, or continueOn with depends",
    "dag-task-name-digit": "a DAG task name starts with a digit (Argo rejects it with depends/dependencies)",
    "dag-target-missing": "dag.target names a task that does not exist",
    "variable-unresolved": "a {{...}} reference to an input, step, task, item or workflow parameter that does not exist",
    "input-not-supplied": "a template input without a value or default is not supplied by a caller",
    "argument-unknown": "an argument (parameter or artifact) whose name matches none of the inputs the called template (local or templateRef'd) declares; Argo ignores it",
    "volume-undeclared": "a template the workflow reaches (steps, tasks, hooks, templateRefs) mounts a volume its volumes or volumeClaimTemplates do not declare",
    "field-not-allowed": "timeout/activeDeadlineSeconds on a non-leaf template, parallelism on a leaf, bad timeout",
    "when-syntax": "a when expression that cannot be parsed, or a {{=...}} tag Argo cuts short at a '}}' inside it",
    "cron-schedule": "a CronWorkflow schedule Argo's cron parser rejects, or a timezone that is not an IANA zone",
    "version-label": "a library template without a wfsync.io/version semantic version label",
}

"""The canonical key order of Argo documents, as data.

Each :class:`KeyOrder` lists the keys that come first (``head``, in that order) and the keys that come
last (``tail``); every other key keeps its original relative order between the two. The order reads the
way an Argo author thinks: identity first (``name``), then the interface (inputs, arguments), then what
runs, with the long bodies (``templates``, ``workflowSpec``) at the end so a reviewer meets the short
settings before them.
"""

from __future__ import annotations

from dataclasses import dataclass

from wfsync.model.kinds import Kind

ARGO_KINDS = frozenset(Kind)
"""Only documents of these kinds are reordered; any other document only gets canonical indentation."""


@dataclass(frozen=True)
class KeyOrder:
    """Keys placed first (``head``) and last (``tail``) in a mapping; the rest keep their order between."""

    head: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()


DOCUMENT = KeyOrder(head=("apiVersion", "kind", "metadata", "spec"), tail=("status",))

METADATA = KeyOrder(head=("name", "generateName", "namespace", "labels", "annotations"))

WORKFLOW_SPEC = KeyOrder(
    head=(
        # What runs and with which values.
        "workflowTemplateRef",
        "entrypoint",
        "arguments",
        "onExit",
        "hooks",
        # Identity and pod-wide settings.
        "serviceAccountName",
        "automountServiceAccountToken",
        "executor",
        "securityContext",
        "workflowMetadata",
        "podMetadata",
        # Limits and lifecycle.
        "parallelism",
        "activeDeadlineSeconds",
        "retryStrategy",
        "synchronization",
        "ttlStrategy",
        "podGC",
        "volumeClaimGC",
        "artifactGC",
        "artifactRepositoryRef",
        "archiveLogs",
        # Storage.
        "volumes",
        "volumeClaimTemplates",
    ),
    tail=("templateDefaults", "templates"),
)

CRON_SPEC = KeyOrder(
    head=(
        "schedule",
        "schedules",
        "timezone",
        "concurrencyPolicy",
        "startingDeadlineSeconds",
        "suspend",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
        "stopStrategy",
        "when",
    ),
    tail=("workflowMetadata", "workflowSpec"),
)

TEMPLATE = KeyOrder(
    head=("name", "inputs", "outputs", "metadata"),
    # The body: what kind of template this is (a template has one). Settings such as retryStrategy
    # come before it, as in Argo's own examples.
    tail=(
        "steps",
        "dag",
        "container",
        "script",
        "resource",
        "suspend",
        "http",
        "containerSet",
        "data",
        "plugin",
    ),
)

TASK = KeyOrder(
    head=(
        "name",
        "template",
        "templateRef",
        "inline",
        "arguments",
        "dependencies",
        "depends",
        "when",
        "withItems",
        "withParam",
        "withSequence",
    )
)

CONTAINER = KeyOrder(
    head=(
        "name",
        "image",
        "imagePullPolicy",
        "command",
        "args",
        "source",
        "workingDir",
        "env",
        "envFrom",
        "ports",
        "volumeMounts",
        "resources",
    )
)

NAMED = KeyOrder(head=("name",))
"""Parameters, artifacts, env entries, volumes: the name identifies the item, so it comes first."""

NAME_VALUE = KeyOrder(head=("name", "value"))
"""Environment variables."""

IO = KeyOrder(head=("parameters", "artifacts"))
"""``inputs``, ``outputs`` and ``arguments``."""

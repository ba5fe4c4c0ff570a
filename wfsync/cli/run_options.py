"""Options of ``wfsync run`` and ``resume``, declared once so the command functions only parse and call."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FileArgument = Annotated[
    Path, typer.Argument(help="Workflow, WorkflowTemplate or ClusterWorkflowTemplate YAML.")
]
ParameterOption = Annotated[
    list[str] | None, typer.Option("--parameter", "-p", help="NAME=VALUE (repeatable).")
]
ParameterFileOption = Annotated[
    Path | None, typer.Option("--parameter-file", help="YAML/JSON map of parameter values.")
]
EntrypointOption = Annotated[str | None, typer.Option("--entrypoint", help="Template to start from.")]
WithOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--with",
        help="Files or folders of WorkflowTemplates/ConfigMaps to resolve from (repeatable).",
    ),
]
RunOutputOption = Annotated[
    str | None,
    typer.Option("--output", "-o", help="text, json or yaml (the Workflow with its status)."),
]
LogsOption = Annotated[bool, typer.Option("--logs", help="Show pod logs, prefixed by node.")]
RunTargetOption = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="Resolve templateRef/workflowTemplateRef from this target's live state"
        " (resource templates act on it too, on a Kubernetes target's cluster as well).",
    ),
]
AllowNetworkOption = Annotated[
    bool,
    typer.Option(
        "--allow-network",
        help="Let HTTP templates and http/git artifacts reach hosts other than this machine.",
    ),
]
StrictImagesOption = Annotated[
    bool,
    typer.Option(
        "--strict-images",
        help="Refuse (exit 2, before any pod runs) images whose host stand-in is not the version"
        " their tag names (python:3.9 run by Python 3.11).",
    ),
]
AllowHostWritesOption = Annotated[
    bool,
    typer.Option(
        "--allow-host-writes",
        help="With host processes (--runtime host, or auto without a sandbox): let pods write"
        " outside their own folders. Without it, such writes are refused (Landlock) where the"
        " kernel allows, and the run says when it cannot refuse them.",
    ),
]
ResumeAfterOption = Annotated[
    float | None,
    typer.Option(
        "--resume-after",
        help="Resume suspends without a duration (and spec.suspend) after SECONDS, as `argo resume`.",
    ),
]
ReportOption = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="Also write a self-contained HTML page of the run: node graph by phase, durations, logs.",
    ),
]
WorkflowArgument = Annotated[
    str, typer.Argument(help="Name of the running workflow (as `wfsync run` shows it).")
]
NodeOption = Annotated[
    str | None,
    typer.Option("--node", help="Resume only the suspended node with this name or display name."),
]
RuntimeOption = Annotated[
    str,
    typer.Option(
        "--runtime",
        help="How pods run: auto (the default: sandbox where bwrap works, else host, saying what"
        " isolation is lacking), sandbox (bubblewrap: own mount and PID namespace, host read-only,"
        " limits enforced), host (processes; writes outside a pod's folders refused where Landlock"
        " works, see --allow-host-writes), docker or podman.",
    ),
]

"""A job's ``services:`` as daemon steps: steps reach them by ``$SERVICE_<ID>_HOST``, not localhost.

A pod's containers cannot be addressed by service name as on GitHub's Docker network, so each
service is a daemon template started before the steps, and its IP is given to them.
"""

from __future__ import annotations

import re

from wfsync.convert.gha.argo import slug
from wfsync.convert.gha.jobstate import ArgoStep, JobState
from wfsync.convert.gha.yaml12 import scalar_text
from wfsync.model.spec_types import Template


def services(job: JobState) -> None:
    """Add the job's services: one daemon template each, started together as the first group."""
    found = job.job.raw.get("services")
    if not isinstance(found, dict) or not found:
        return
    group: list[ArgoStep] = []
    for service_id, spec in found.items():
        image = spec.get("image") if isinstance(spec, dict) else spec
        if not image or "${{" in str(image):
            job.report.attend(f"job {job.job.id}: service {service_id} has no fixed image; not converted")
            continue
        name = job.unique(f"svc-{service_id}")
        template: Template = {
            "name": f"service-{job.plan.task}-{slug(service_id, 30)}",
            "daemon": True,
            "container": _container(job, service_id, spec, str(image)),
        }
        job.conv.templates.append(template)
        group.append({"name": name, "template": template["name"]})
        variable = f"SERVICE_{_env_name(service_id)}_HOST"
        job.service_env[variable] = f"{{{{steps.{name}.ip}}}}"
        job.report.attend(
            f"job {job.job.id}: service {service_id} runs as a daemon step; scripts reach it at ${variable}, not localhost or {service_id}"
        )
    if group:
        job.groups.append(group)


def _container(job: JobState, service_id: str, spec: object, image: str) -> dict[str, object]:
    """The service's container: image, constant env, and the readiness probe of its rule."""
    container: dict[str, object] = {"image": image}
    env = spec.get("env") if isinstance(spec, dict) else None
    if isinstance(env, dict):
        values = []
        for key, value in env.items():
            text = scalar_text(value)
            if "${{" in text:
                job.report.attend(
                    f"job {job.job.id}: service {service_id} env {key} uses an expression; set it by hand"
                )
                continue
            values.append({"name": str(key), "value": text})
        if values:
            container["env"] = values
    rule = job.conv.rules.service(image)
    if rule is not None and rule.readiness:
        container["readinessProbe"] = {"exec": {"command": list(rule.readiness)}, "periodSeconds": 5}
    else:
        job.report.attend(
            f"job {job.job.id}: service {service_id} has no readiness rule; steps may start before it is ready"
        )
    return container


def _env_name(task: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", task).upper()

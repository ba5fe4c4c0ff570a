"""Major-version channel names: a template published also as ``<name>-v<major>`` (pure rules).

Lint resolves a reference to ``<name>-v<major>`` to the template itself, sync publishes the copy
(:mod:`wfsync.sync.channels`), and both read the opt-in and the name from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from wfsync.model import values

VERSION_LABEL = "wfsync.io/version"
PUBLISH_MAJOR = "wfsync.io/publish-major"
"""Annotation: ``"true"`` publishes the template also as ``<name>-v<major>``."""
CHANNEL_OF = "wfsync.io/channel-of"
"""Label on a channel copy: the name of the template it is a major version of."""
_MAJOR = re.compile(r"^v?(0|[1-9][0-9]*)\.")
OLDER_MAJOR = re.compile(r"^(.+)-v(0|[1-9][0-9]*)$")
"""A name that may be a major channel of the template named by its first group."""


def channel_name(name: str, version: str) -> str | None:
    """``<name>-v<major>`` for a semantic ``version`` (``None`` when it has no major)."""
    found = _MAJOR.match(version.strip())
    return f"{name}-v{found.group(1)}" if found else None


def opted_in(body: Mapping[str, object]) -> bool:
    """Whether the template asks to be published on its major channel."""
    meta = body.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    publish = annotations.get(PUBLISH_MAJOR) if isinstance(annotations, Mapping) else None
    return str(publish).strip().lower() == "true"


def published_channel(body: Mapping[str, object], name: str) -> str:
    """The channel name of a template that opted in and has a semantic version, else ''."""
    if not opted_in(body):
        return ""
    version = values.metadata(body, "labels").get(VERSION_LABEL)
    return (channel_name(name, version) or "") if isinstance(version, str) else ""

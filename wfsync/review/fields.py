"""Field changes no interface rule explained: cosmetic when documentation, else a fix by topic.

So no change of the semantic diff goes unclassified, and a reviewer sees security, image and
resource changes under their own heading.
"""

from __future__ import annotations

from collections.abc import Iterable

from wfsync.review.reasons import ChangeClass, Reason, short
from wfsync.secrets import mask_text
from wfsync.sync.semdiff import FieldChange

TOPICS = (
    ("security", ("serviceAccountName", "securityContext", "privileged", "podSpecPatch", "hostPath",
                  "automountServiceAccountToken", "secretKeyRef", "action", "hostNetwork")),
    ("image", ("image", "imagePullPolicy", "imagePullSecrets")),
    ("resources", ("resources", "nodeSelector", "tolerations", "affinity", "priorityClassName")),
    ("script", ("source", "command", "args", "manifest")),
    ("behaviour", ("when", "retryStrategy", "activeDeadlineSeconds", "parallelism", "synchronization",
                   "podGC", "ttlStrategy", "timeout", "continueOn", "depends", "dependencies")),
)  # fmt: skip
"""Which field names make a fix worth a reviewer's special attention, and under which heading."""


def leftover(change: FieldChange) -> Reason:
    """A field change no interface rule explained: cosmetic when it is documentation, else a fix."""
    path = change.path
    member = member_of(path)
    last = path.rsplit(".", 1)[-1]
    if last == "description" or path.startswith("metadata.annotations") or path.startswith("metadata.labels"):
        return Reason(ChangeClass.COSMETIC, f"{path} {change.change}", path, member, "docs")
    topic = _topic(path)
    if last in ("image",) and change.change == "changed":
        text = f"image {short(change.before)} -> {short(change.after)}"
    elif last == "source" and change.change == "changed":
        text = f"script source changed ({_lines(change.before, change.after)})"
    else:
        text = f"{path} {change.change}"
        if change.change == "changed" and _scalar(change.before) and _scalar(change.after):
            text += f": {short(change.before)} -> {short(change.after)}"
    return Reason(ChangeClass.FIX, mask_text(text), path, member, topic)


def _topic(path: str) -> str:
    words = {w.split("[")[0] for w in path.split(".")}
    for topic, names in TOPICS:
        if words & set(names):
            return topic
    return "behaviour"


def covered(path: str, explained: Iterable[str]) -> bool:
    """Whether an interface rule already explained ``path`` (or a path inside or around it)."""
    for prefix in explained:
        if path == prefix or path.startswith((prefix + ".", prefix + "[")):
            return True
        if prefix.startswith((path + ".", path + "[")):
            return True
    return False


def member_of(path: str) -> str:
    """The member template a field path is in ('' for the family's own fields)."""
    if path.startswith("spec.templates["):
        return path[len("spec.templates[") :].split("]", 1)[0]
    return ""


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _lines(before: object, after: object) -> str:
    import difflib

    a = str(before or "").splitlines()
    b = str(after or "").splitlines()
    plus = minus = 0
    for line in difflib.ndiff(a, b):
        if line.startswith("+ "):
            plus += 1
        elif line.startswith("- "):
            minus += 1
    return f"+{plus} -{minus} lines"

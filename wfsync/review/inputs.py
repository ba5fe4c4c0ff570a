"""Changes to a template's inputs, judged by what its callers pass.

Adding an input without a default breaks every caller; removing or renaming one breaks only the
callers that pass it (Argo ignores an argument nothing declares, so what they passed is lost),
which is why the caller index is consulted.
"""

from __future__ import annotations

from collections.abc import Mapping

from wfsync.model import values
from wfsync.model.documents import Identity
from wfsync.review.impact import Caller, CallerIndex
from wfsync.review.match import match_named
from wfsync.review.reasons import ARTIFACT_SOURCES, ChangeClass, Reason, enum_change, named, required, short
from wfsync.secrets import REDACTED, is_secret_name

Passing = Mapping[str, list[Caller]]
"""Callers of a member template by the input names they pass."""


class InputChanges:
    """Collects the reasons (and the paths they explain) for one member template's inputs."""

    def __init__(self, name: str, reasons: list[Reason], explained: list[str]) -> None:
        self.name = name
        self.at = f"spec.templates[{name}].inputs"
        self.reasons = reasons
        self.explained = explained

    def reason(
        self, change_class: ChangeClass, message: str, path: str, callers: tuple[str, ...] = ()
    ) -> None:
        """Record a reason about this member's interface."""
        self.reasons.append(Reason(change_class, message, path, self.name, callers=callers))

    def classify(
        self, family: Identity, old: Mapping[str, object], new: Mapping[str, object], callers: CallerIndex
    ) -> None:
        """Reasons for every input change of this member of ``family`` (appended to ``reasons``)."""
        self.parameters(old, new, callers.passing(family, self.name))
        self.artifacts(old, new, callers.passing(family, self.name, artifacts=True))

    def parameters(self, old: Mapping[str, object], new: Mapping[str, object], passing: Passing) -> None:
        """Parameters added, removed, renamed or changed."""
        before = named(values.at(old, "inputs", "parameters"))
        after = named(values.at(new, "inputs", "parameters"))
        for was, now in match_named(before, after):
            path = f"{self.at}.parameters[{now or was}]"
            if was is None and now is not None:
                self.explained.append(path)
                self._added(now, after[now], path)
            elif was is not None and (now is None or now != was):
                self.explained.extend([f"{self.at}.parameters[{was}]"] + ([path] if now else []))
                self._gone(was, now, path, passing)
                if now is not None and required(after[now]):
                    self._added(now, after[now], path)
            else:
                assert was is not None and now is not None
                self._changed(now, before[was], after[now], path)

    def _added(self, now: str, param: Mapping[str, object], path: str) -> None:
        name = self.name
        if required(param):
            self.reason(ChangeClass.BREAKING, f"input {now!r} of {name!r} added without a default", path)
        else:
            self.reason(ChangeClass.FEATURE, f"input {now!r} of {name!r} added with a default", path)

    def _gone(self, was: str, now: str | None, path: str, passing: Passing) -> None:
        """Removed or renamed: breaking only while a known caller passes it."""
        users = tuple(c.where for c in passing.get(was, ()))
        verb = "removed" if now is None else f"renamed to {now!r}"
        if users:
            self.reason(
                ChangeClass.BREAKING,
                f"input {was!r} of {self.name!r} {verb} while {len(users)} caller(s) pass it",
                path,
                callers=users,
            )
        else:
            self.reason(
                ChangeClass.FEATURE,
                f"input {was!r} of {self.name!r} {verb} (no known caller passes it)",
                path,
            )

    def _changed(self, now: str, p_old: Mapping[str, object], p_new: Mapping[str, object], path: str) -> None:
        name = self.name
        if required(p_new) and not required(p_old):
            self.explained.extend([f"{path}.default", f"{path}.value"])
            self.reason(ChangeClass.BREAKING, f"input {now!r} of {name!r} lost its default", path)
        else:
            for key in ("default", "value"):
                if p_old.get(key) != p_new.get(key) and key in p_new:
                    self.explained.append(f"{path}.{key}")
                    secret = is_secret_name(now)
                    a = REDACTED if secret else short(p_old.get(key))
                    b = REDACTED if secret else short(p_new.get(key))
                    self.reasons.append(
                        Reason(
                            ChangeClass.FIX,
                            f"{key} of input {now!r} of {name!r}: {a} -> {b}",
                            f"{path}.{key}",
                            name,
                            "behaviour",
                        )
                    )
        enum_change(p_old, p_new, path, name, f"input {now!r} of {name!r}", self.reasons, self.explained)

    def artifacts(self, old: Mapping[str, object], new: Mapping[str, object], passing: Passing) -> None:
        """Artifacts added, made required, or removed."""
        name = self.name
        arts_before = named(values.at(old, "inputs", "artifacts"))
        arts_after = named(values.at(new, "inputs", "artifacts"))
        for art, spec in arts_after.items():
            path = f"{self.at}.artifacts[{art}]"
            needed = not spec.get("optional") and not ARTIFACT_SOURCES & spec.keys()
            if art not in arts_before:
                self.explained.append(path)
                if needed:
                    self.reason(
                        ChangeClass.BREAKING,
                        f"input artifact {art!r} of {name!r} added without optional",
                        path,
                    )
                else:
                    self.reason(ChangeClass.FEATURE, f"input artifact {art!r} of {name!r} added", path)
            elif needed and arts_before[art].get("optional"):
                self.explained.append(f"{path}.optional")
                self.reason(
                    ChangeClass.BREAKING, f"input artifact {art!r} of {name!r} is no longer optional", path
                )
        for art in sorted(arts_before.keys() - arts_after.keys()):
            self._artifact_removed(art, passing)

    def _artifact_removed(self, art: str, passing: Passing) -> None:
        path = f"{self.at}.artifacts[{art}]"
        self.explained.append(path)
        users = tuple(c.where for c in passing.get(art, ()))
        if users:  # Argo ignores an argument nothing declares: what the caller passed is lost
            self.reason(
                ChangeClass.BREAKING,
                f"input artifact {art!r} of {self.name!r} removed while {len(users)} caller(s) pass it",
                path,
                callers=users,
            )
        else:
            self.reason(
                ChangeClass.FEATURE,
                f"input artifact {art!r} of {self.name!r} removed (no known caller passes it)",
                path,
            )

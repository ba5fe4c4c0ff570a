"""The in-memory object store with the API server's write semantics.

A single global resourceVersion counter, uid and creationTimestamp on create, generation bumped
when anything outside metadata changes, optimistic concurrency on update and patch, no-op writes
that keep the resourceVersion, finalizers, dry runs that answer without storing. Thread-safe: the
HTTP server calls it from one thread per request, tests seed and inspect it directly. Every write,
direct ones included, goes to the watch :class:`~tests.kube.watch.History`.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tests.kube import status
from tests.kube.patches import PatchError, json_patch, merge_patch
from tests.kube.resources import ARGO_RESOURCES, CORE_RESOURCES, ResourceType
from tests.kube.schema import apply_schema, go_numbers
from tests.kube.selectors import SelectorError, field_matcher, label_matcher
from tests.kube.status import ApiError
from tests.kube.validation import FieldError, Validator, metadata_errors, type_errors
from tests.kube.watch import ADDED, DELETED, MODIFIED, Change, History

Obj = dict[str, Any]
Warnings = list[str]
"""Where a write collects its Warning headers (the class's own ``list`` method shadows the builtin)."""
Key = tuple[str, str, str]  # plural, namespace ("" when cluster-scoped), name

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
FOREGROUND = "foregroundDeletion"
CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new "
    "list without the continue parameter, or use the continue token in this response to retrieve the "
    "remainder of the results. Continuing with the provided token results in an inconsistent list - "
    "objects that were created, modified, or deleted between the time the first chunk was returned and "
    "now may show up in the list."
)
"""The server's 410 message for a continue token older than the compaction window."""
_SERVER_FIELDS = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "selfLink",
)


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _timestamp(when: datetime.datetime) -> str:
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _without_rv(obj: Obj) -> Obj:
    stripped = copy.deepcopy(obj)
    stripped.get("metadata", {}).pop("resourceVersion", None)
    stripped.get("metadata", {}).pop("managedFields", None)
    return stripped


def _spec_part(obj: Obj) -> Obj:
    return {key: value for key, value in obj.items() if key != "metadata"}


@dataclass
class ListResult:
    """One page of a list: items, the list resourceVersion and the continue token if more remain."""

    items: list[Obj]
    resource_version: str
    continue_token: str = ""
    remaining: int = 0


class Store:
    """Objects by (plural, namespace, name), with the write rules of a real API server."""

    def __init__(self, clock: Callable[[], datetime.datetime] = _utcnow) -> None:
        self._lock = threading.RLock()
        self._objects: dict[Key, Obj] = {}
        self._rv = 0
        self._clock = clock
        self.validators: list[Validator] = []
        """Hooks run on every create, update and patch; any error they return is a 422."""
        self.namespaces: set[str] | None = None
        """Existing namespaces; ``None`` means every namespace exists."""
        self.schemas: dict[str, Obj] = {}
        """Structural schemas by plural (see :mod:`tests.kube.schema`): pruning, defaults, types."""
        self.finalizer_delays: dict[str, float] = {}
        """Finalizers a simulated controller removes this many seconds after deletion starts."""
        self.gc_delay = 0.05
        """Seconds until the garbage collector drops ``foregroundDeletion`` (no dependents here)."""
        self.history = History()
        """Every write, for watches (see :mod:`tests.kube.watch`)."""

    # -- direct access for tests (no HTTP, no validation, no request log) --------------------------

    @property
    def resource_version(self) -> str:
        """The last resourceVersion handed out."""
        with self._lock:
            return str(self._rv)

    def put(self, obj: Obj) -> Obj:
        """Store an object as another client's write would: server fields filled, resourceVersion bumped.

        Used to seed a cluster or to simulate drift and concurrent edits. Replaces any existing
        object of that name (keeping its uid and creationTimestamp) without checking resourceVersion.
        """
        res = resource_for_kind(str(obj.get("kind")))
        new = copy.deepcopy(obj)
        new.setdefault("apiVersion", res.api_version)
        self._admit(res, new, "Ignore", None)
        meta = new.setdefault("metadata", {})
        if res.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        key = (res.plural, meta.get("namespace", ""), meta["name"])
        with self._lock:
            old = self._objects.get(key)
            for field in _SERVER_FIELDS:
                meta.pop(field, None)
            if old is None:
                self._stamp_new(meta)
            else:
                self._carry_over(old, new)
            meta["resourceVersion"] = self._next_rv()
            self._objects[key] = new
            self._emit(ADDED if old is None else MODIFIED, key, new, old)
            return copy.deepcopy(new)

    def peek(self, plural: str, namespace: str | None, name: str) -> Obj | None:
        """The stored object or None (a copy)."""
        with self._lock:
            found = self._objects.get((plural, namespace or "", name))
            return copy.deepcopy(found) if found is not None else None

    def objects(self, plural: str | None = None, namespace: str | None = None) -> list[Obj]:
        """Stored objects, sorted by resource, namespace and name (copies)."""
        with self._lock:
            return [
                copy.deepcopy(obj)
                for key, obj in sorted(self._objects.items())
                if (plural is None or key[0] == plural) and (namespace is None or key[1] == namespace)
            ]

    def remove(self, plural: str, namespace: str | None, name: str) -> bool:
        """Delete behind the API's back (finalizers ignored); whether something was there."""
        with self._lock:
            key = (plural, namespace or "", name)
            old = self._objects.pop(key, None)
            if old is not None:
                self._emit_deleted(key, old)
            return old is not None

    def known_namespaces(self) -> list[str]:
        """The configured namespaces, or ``default`` plus every namespace holding an object."""
        with self._lock:
            if self.namespaces is not None:
                return sorted(self.namespaces)
            return sorted({"default"} | {key[1] for key in self._objects if key[1]})

    # -- API operations ------------------------------------------------------------------------

    def list(
        self,
        res: ResourceType,
        namespace: str | None,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
    ) -> ListResult:
        """Objects of one resource in one namespace (or all), filtered and paged like the server does."""
        try:
            labels_ok = label_matcher(label_selector)
            fields_ok = field_matcher(field_selector)
        except SelectorError as exc:
            raise status.bad_request(str(exc)) from exc
        start: tuple[str, str] | None = None
        with self._lock:
            list_rv = str(self._rv)
            if continue_token:
                list_rv, start = _decode_continue(continue_token)
                if int(list_rv or 0) < self.history.floor:
                    raise ApiError(410, CONTINUE_EXPIRED, "Expired")
            matches = [
                obj
                for key, obj in sorted(self._objects.items())
                if key[0] == res.plural
                and (namespace is None or key[1] == namespace)
                and (start is None or (key[1], key[2]) > start)
                and labels_ok(obj.get("metadata", {}).get("labels") or {})
                and fields_ok(obj)
            ]
            page = matches[:limit] if limit > 0 else matches
            result = ListResult(json.loads(json.dumps(page)), list_rv)  # 3x faster than deepcopy
            if len(page) < len(matches):
                last = page[-1]["metadata"]
                result.continue_token = _encode_continue(list_rv, (last.get("namespace", ""), last["name"]))
                result.remaining = len(matches) - len(page)
            return result

    def get(self, res: ResourceType, namespace: str | None, name: str) -> Obj:
        """One object or 404."""
        with self._lock:
            found = self._objects.get((res.plural, namespace or "", name))
            if found is None:
                raise status.not_found(res, name)
            return copy.deepcopy(found)

    def create(
        self,
        res: ResourceType,
        namespace: str | None,
        body: Any,
        dry_run: bool = False,
        field_validation: str = "Warn",
        warnings: Warnings | None = None,
    ) -> Obj:
        """POST: 409 AlreadyExists when taken, 422 when invalid; server fields are the server's."""
        obj = _require_object(body)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise status.invalid(
                res, "", [FieldError("metadata", "Invalid value: must be an object").cause()]
            )
        _check_namespace(res, namespace, meta)
        if meta.get("resourceVersion"):
            raise ApiError(500, "resourceVersion should not be set on objects to be created")
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = f"{meta['generateName']}{secrets.token_hex(3)[:5]}"
        for field in _SERVER_FIELDS:
            meta.pop(field, None)
        meta.pop("managedFields", None)
        self._admit(res, obj, field_validation, warnings)
        with self._lock:
            self._check_namespace_exists(namespace if res.namespaced else None)
            self._validate(res, obj)
            key = (res.plural, meta.get("namespace", ""), meta["name"])
            if key in self._objects:
                raise status.already_exists(res, meta["name"])
            self._stamp_new(meta)
            if dry_run:
                return obj
            meta["resourceVersion"] = self._next_rv()
            self._objects[key] = obj
            self._emit(ADDED, key, obj, None)
            return copy.deepcopy(obj)

    def update(
        self,
        res: ResourceType,
        namespace: str | None,
        name: str,
        body: Any,
        dry_run: bool = False,
        field_validation: str = "Warn",
        warnings: Warnings | None = None,
    ) -> Obj:
        """PUT: requires the current ``metadata.resourceVersion`` (custom resources allow no blind update)."""
        obj = _require_object(body)
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            raise status.invalid(
                res, name, [FieldError("metadata", "Required value", "FieldValueRequired").cause()]
            )
        if meta.get("name") != name:
            raise status.bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        _check_namespace(res, namespace, meta)
        with self._lock:
            old = self._objects.get((res.plural, namespace or "", name))
            if old is None:
                raise status.not_found(res, name)
            sent_rv = meta.get("resourceVersion")
            if not sent_rv:
                cause = FieldError(
                    "metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update"
                )
                raise status.invalid(res, name, [cause.cause()])
            return self._commit(res, old, obj, dry_run, field_validation, warnings)

    def patch(
        self,
        res: ResourceType,
        namespace: str | None,
        name: str,
        patch_type: str,
        patch: Any,
        dry_run: bool = False,
        field_validation: str = "Warn",
        warnings: Warnings | None = None,
    ) -> Obj:
        """PATCH with a merge or JSON patch; a resourceVersion in the patch is a precondition."""
        with self._lock:
            old = self._objects.get((res.plural, namespace or "", name))
            if old is None:
                raise status.not_found(res, name)
            try:
                if patch_type == MERGE_PATCH:
                    if not isinstance(patch, dict):
                        raise PatchError("a merge patch must be a JSON object")
                    new = merge_patch(old, patch)
                elif patch_type == JSON_PATCH:
                    new = json_patch(old, patch)
                else:
                    raise ApiError(
                        415,
                        "the body of the request was in an unknown format - "
                        f"accepted media types include: {JSON_PATCH}, {MERGE_PATCH}",
                    )
            except PatchError as exc:
                raise ApiError(
                    422, f"the server rejected our request due to an error in our request: {exc}"
                ) from exc
            new = _require_object(new)
            meta = new.get("metadata")
            if not isinstance(meta, dict) or meta.get("name") != name:
                cause = FieldError("metadata.name", "Invalid value: field is immutable")
                raise status.invalid(res, name, [cause.cause()])
            if not meta.get("resourceVersion"):
                meta["resourceVersion"] = old["metadata"]["resourceVersion"]
            return self._commit(res, old, new, dry_run, field_validation, warnings)

    def delete(
        self, res: ResourceType, namespace: str | None, name: str, options: Any = None, dry_run: bool = False
    ) -> Obj:
        """DELETE: preconditions checked; with finalizers the object is only marked for deletion."""
        preconditions = options.get("preconditions") if isinstance(options, dict) else None
        policy = options.get("propagationPolicy") if isinstance(options, dict) else None
        with self._lock:
            key = (res.plural, namespace or "", name)
            old = self._objects.get(key)
            if old is None:
                raise status.not_found(res, name)
            meta = old["metadata"]
            for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                wanted = (preconditions or {}).get(field)
                if wanted and wanted != meta.get(field):
                    raise status.conflict(res, name, _precondition_failed(label, wanted, meta.get(field)))
            foreground = policy == "Foreground" and not meta.get("deletionTimestamp")
            if not meta.get("finalizers") and not foreground:
                if not dry_run:
                    del self._objects[key]
                    self._emit_deleted(key, old)
                return copy.deepcopy(old)
            if meta.get("deletionTimestamp"):
                return copy.deepcopy(old)
            marked = copy.deepcopy(old)
            marked["metadata"]["deletionTimestamp"] = _timestamp(self._clock())
            marked["metadata"]["deletionGracePeriodSeconds"] = 0
            marked["metadata"]["generation"] = int(meta.get("generation", 1)) + 1
            if foreground:
                marked["metadata"]["finalizers"] = [*meta.get("finalizers", []), FOREGROUND]
            if dry_run:
                return marked
            marked["metadata"]["resourceVersion"] = self._next_rv()
            self._objects[key] = marked
            self._emit(MODIFIED, key, marked, old)
            delays = {**self.finalizer_delays, FOREGROUND: self.gc_delay}
            for finalizer in marked["metadata"]["finalizers"]:
                if finalizer in delays:
                    timer = threading.Timer(delays[finalizer], self._finalize, (key, finalizer))
                    timer.daemon = True
                    timer.start()
            return copy.deepcopy(marked)

    def _finalize(self, key: Key, finalizer: str) -> None:
        """What a controller does when its cleanup is done: drop its finalizer (the last one deletes)."""
        with self._lock:
            obj = self._objects.get(key)
            if obj is None or finalizer not in (obj["metadata"].get("finalizers") or []):
                return
            old = {"metadata": copy.deepcopy(obj["metadata"])}
            obj["metadata"]["finalizers"] = [f for f in obj["metadata"]["finalizers"] if f != finalizer]
            if not obj["metadata"]["finalizers"]:
                del obj["metadata"]["finalizers"]
                del self._objects[key]
                self._emit_deleted(key, obj)
                return
            obj["metadata"]["resourceVersion"] = self._next_rv()
            self._emit(MODIFIED, key, obj, old)

    def _admit(self, res: ResourceType, obj: Obj, field_validation: str, warnings: Warnings | None) -> None:
        """Go number encoding, then the resource's structural schema (pruning, defaults, types)."""
        meta = obj.get("metadata")
        for part in (obj, meta) if isinstance(meta, dict) else (obj,):  # in place: callers hold ``meta``
            for key, value in list(part.items()):
                if value is not meta:
                    part[key] = go_numbers(value)
        schema = self.schemas.get(res.plural)
        if schema is None:
            return
        admission = apply_schema(schema, obj)
        if admission.unknown and field_validation == "Strict":
            fields = ", ".join(f'unknown field "{path}"' for path in admission.unknown)
            raise status.bad_request(f"strict decoding error: {fields}")
        if admission.unknown and field_validation == "Warn" and warnings is not None:
            warnings.extend(f'unknown field "{path}"' for path in admission.unknown)
        if admission.errors:
            name = str((obj.get("metadata") or {}).get("name") or "")
            raise status.invalid(res, name, [e.cause() for e in admission.errors])

    # -- internals -----------------------------------------------------------------------------

    def _commit(
        self,
        res: ResourceType,
        old: Obj,
        new: Obj,
        dry_run: bool,
        field_validation: str = "Warn",
        warnings: Warnings | None = None,
    ) -> Obj:
        """The shared tail of update and patch: preconditions, server fields, validation, no-op, store."""
        meta = new["metadata"]
        name = old["metadata"]["name"]
        if meta.get("resourceVersion") != old["metadata"]["resourceVersion"]:
            raise status.conflict(res, name)
        if meta.get("uid") and meta["uid"] != old["metadata"].get("uid"):
            why = _precondition_failed("UID", meta["uid"], old["metadata"].get("uid"))
            raise status.conflict(res, name, why)
        self._admit(res, new, field_validation, warnings)  # decoding comes first: defaults are no change
        self._carry_over(old, new)
        self._validate(res, new)
        if _without_rv(new) == _without_rv(old):
            return copy.deepcopy(old)
        key = (res.plural, old["metadata"].get("namespace", ""), name)
        finished = bool(meta.get("deletionTimestamp")) and not meta.get("finalizers")
        if dry_run:
            return new
        if finished:
            del self._objects[key]
            self._emit_deleted(key, new)
            return copy.deepcopy(new)
        meta["resourceVersion"] = self._next_rv()
        self._objects[key] = new
        self._emit(MODIFIED, key, new, old)
        return copy.deepcopy(new)

    def _carry_over(self, old: Obj, new: Obj) -> None:
        """Fields a client cannot change on an existing object, and generation from the spec change."""
        meta, old_meta = new.setdefault("metadata", {}), old["metadata"]
        for field in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "namespace",
        ):
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        meta.pop("managedFields", None)
        generation = int(old_meta.get("generation", 1))
        meta["generation"] = generation + 1 if _spec_part(new) != _spec_part(old) else generation

    def _stamp_new(self, meta: Obj) -> None:
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = _timestamp(self._clock())
        meta["generation"] = 1

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _emit(self, kind: str, key: Key, obj: Obj, old: Obj | None) -> None:
        """Record a write for watches (under the lock, so lists and watches agree on versions).

        The object is encoded now: the stored one may still change in place (finalizers).
        """
        meta = obj["metadata"]
        before = copy.deepcopy(old.get("metadata") or {}) if old is not None else None
        change = Change(
            int(meta["resourceVersion"]),
            kind,
            key[0],
            key[1],
            json.dumps(obj).encode(),
            copy.deepcopy(meta),
            before,
        )
        self.history.record(change)

    def _emit_deleted(self, key: Key, last: Obj) -> None:
        """A deletion takes a version of its own; watches get the last state carrying it."""
        gone = {**last, "metadata": {**(last.get("metadata") or {}), "resourceVersion": self._next_rv()}}
        self._emit(DELETED, key, gone, None)

    def _validate(self, res: ResourceType, obj: Obj) -> None:
        errors = type_errors(res, obj) + metadata_errors(obj)
        for validator in self.validators:
            errors += validator(copy.deepcopy(obj))
        if errors:
            raise status.invalid(
                res, str(obj.get("metadata", {}).get("name") or ""), [e.cause() for e in errors]
            )

    def _check_namespace_exists(self, namespace: str | None) -> None:
        if namespace and self.namespaces is not None and namespace not in self.namespaces:
            raise ApiError(
                404, f'namespaces "{namespace}" not found', details={"name": namespace, "kind": "namespaces"}
            )


def resource_for_kind(
    kind: str, resources: Iterable[ResourceType] = ARGO_RESOURCES + CORE_RESOURCES
) -> ResourceType:
    """The resource type of a kind (for seeding objects by their ``kind``)."""
    for res in resources:
        if res.kind == kind:
            return res
    raise KeyError(f"no resource serves kind {kind!r}")


def _precondition_failed(label: str, wanted: Any, actual: Any) -> str:
    return f"Precondition failed: {label} in precondition: {wanted}, {label} in object meta: {actual}"


def _require_object(body: Any) -> Obj:
    if not isinstance(body, dict):
        raise status.bad_request("the body of the request must be a JSON object")
    return copy.deepcopy(body)


def _check_namespace(res: ResourceType, namespace: str | None, meta: Obj) -> None:
    if not res.namespaced:
        meta.pop("namespace", None)
        return
    sent = meta.get("namespace")
    if sent and sent != namespace:
        raise status.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    meta["namespace"] = namespace


def _encode_continue(list_rv: str, start: tuple[str, str]) -> str:
    raw = json.dumps({"rv": list_rv, "start": list(start)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token: str) -> tuple[str, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (binascii.Error, ValueError, KeyError, IndexError, TypeError) as exc:
        raise status.bad_request(f"continue key is not valid: {exc}") from exc

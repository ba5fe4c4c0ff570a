"""The fast normalisation gives exactly the normal forms (and so the content hashes) of the plain one.

Content hashes are stamped on live objects; if a faster ``normalize`` changed any normal form,
every object pushed before it would show as drift. The straightforward recursive version is kept
here as the reference, and both are run over Argo's examples and generated documents.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import corpus_path
from wfsync.library.discover import find_yaml_files, read_file
from wfsync.sync import normalize as fast
from wfsync.sync.normalize import (
    _INTEGER,
    _QUANTITY,
    _SUFFIX,
    INT_OR_STRING,
    PARAMETER_STRINGS,
    UNORDERED_NAMED_LISTS,
    _argo_string,
    _named,
)


def reference_normalize(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The plain recursive normalisation (as first written), kept as the reference."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "status":
            continue
        if key == "metadata" and isinstance(value, Mapping):
            value = fast._metadata(value, str(obj.get("kind", "")))
        folded = _fold(value, key)
        if not _empty(folded):
            out[key] = folded
    return out


def _fold(value: Any, key: str | None, in_parameter: bool = False) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            folded = _fold(v, str(k), in_parameter=in_parameter)
            if not _empty(folded):
                out[str(k)] = folded
        if key in ("limits", "requests"):
            out = {k: _quantity(v) for k, v in out.items()}
        return out
    if isinstance(value, list):
        items = [_fold(v, None, in_parameter=key == "parameters") for v in value]
        if key == "enum" and in_parameter:
            items = [_argo_string(v) for v in items]
        if key in UNORDERED_NAMED_LISTS and _named(items):
            items.sort(key=lambda item: str(item["name"]))
        return items
    if in_parameter and key in PARAMETER_STRINGS:
        return _argo_string(value)
    if key in INT_OR_STRING and value.__class__ is str and _INTEGER.match(value):
        return int(value)
    return value


def _quantity(value: Any) -> Any:
    text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    if not isinstance(text, str):
        return value
    match = _QUANTITY.match(text.strip())
    if match is None:
        return value
    try:
        amount = decimal.Decimal(match.group(1)) * decimal.Decimal(_SUFFIX[match.group(2) or ""])
    except decimal.InvalidOperation:
        return value
    return format(amount.normalize(), "f")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, dict | list) and not value)


def _same(doc: Mapping[str, Any]) -> None:
    want = reference_normalize(doc)
    got = fast.normalize(doc)
    # JSON text is what the content hash is taken of: it tells 1 from 1.0 from True, == does not
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)
    assert got == want


def test_argo_examples_normalise_exactly_as_the_reference() -> None:
    files, _ = find_yaml_files([corpus_path("argo", "examples")])
    checked = 0
    for path in files:
        for doc in read_file(path).documents:
            _same(doc.body)
            checked += 1
    assert checked > 100


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5000),
    st.floats(allow_nan=False, allow_infinity=True),
    st.sampled_from(["", "3", "-2", "1000m", "1Gi", "0.5", "x", "1e3", " 2 ", "1e99999", "true"]),
)
KEYS = st.sampled_from(
    sorted(UNORDERED_NAMED_LISTS | INT_OR_STRING | PARAMETER_STRINGS)
    + ["name", "enum", "limits", "requests", "status", "metadata", "spec", "steps", "args", 1, True]
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(KEYS, children, max_size=5),
        st.lists(
            st.fixed_dictionaries({"name": st.sampled_from(["a", "b", "c"])}, optional={"value": children})
        ),
    ),
    max_leaves=30,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(KEYS, TREES, max_size=6), st.sampled_from(["WorkflowTemplate", "ClusterWorkflowTemplate"])
)
def test_generated_documents_normalise_exactly_as_the_reference(body: dict[Any, Any], kind: str) -> None:
    # top-level keys are strings (a YAML document with an int top-level key is not an object)
    doc: dict[Any, Any] = {"kind": kind, **{str(k): v for k, v in body.items() if k != "metadata"}}
    doc["metadata"] = {"name": "x", "labels": {"a": 1}, "annotations": {"b": True}, "resourceVersion": "3"}
    _same(doc)


def reference_field_changes(before: dict[str, Any], after: dict[str, Any]) -> list[Any]:
    """The semantic diff on the whole objects (as first written), kept as the reference."""
    from deepdiff import DeepDiff

    from wfsync.sync import semdiff

    old, new = semdiff.mask_pair(before, after)
    diff = DeepDiff(semdiff._keyed(old), semdiff._keyed(new), view="tree", verbose_level=2)
    out = []
    for category, levels in diff.items():
        for level in levels:
            path = semdiff._render(level.path(output_format="list"))
            if category in ("dictionary_item_added", "iterable_item_added"):
                out.append(semdiff.FieldChange(path, "added", after=semdiff._plain(level.t2)))
            elif category in ("dictionary_item_removed", "iterable_item_removed"):
                out.append(semdiff.FieldChange(path, "removed", before=semdiff._plain(level.t1)))
            else:
                out.append(
                    semdiff.FieldChange(path, "changed", semdiff._plain(level.t1), semdiff._plain(level.t2))
                )
    return sorted(out, key=lambda c: c.path)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, TREES, max_size=5), st.dictionaries(KEYS, TREES, max_size=5), st.booleans())
# found by this test: an item whose ``name`` is a list (unhashable) crashed the secret masking
@example(a={}, b={"activeDeadlineSeconds": [{"activeDeadlineSeconds": None, "name": [None]}]}, share=False)
def test_semantic_diff_skipping_identical_parts_reports_what_the_whole_diff_does(
    a: dict[Any, Any], b: dict[Any, Any], share: bool
) -> None:
    from wfsync.sync.semdiff import field_changes

    # what diff compares: normal forms
    before = fast.normalize({"spec": {str(k): v for k, v in a.items()}})
    after = fast.normalize(
        {
            "spec": {
                **({str(k): v for k, v in a.items()} if share else {}),
                **{str(k): v for k, v in b.items()},
            }
        }
    )
    got = [c.to_json() for c in field_changes(before, after)]
    want = [c.to_json() for c in reference_field_changes(before, after)]
    assert repr(got) == repr(want)

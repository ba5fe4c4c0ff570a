from __future__ import annotations

import json

import pytest

from wfsync.engine.params import ArgumentError, aggregate_outputs, expand_items, expand_sequence, process_args


def test_items_of_scalars_maps_and_lists_are_named_like_argo():
    step = {"name": "s", "template": "t", "arguments": {"parameters": [{"name": "m", "value": "{{item}}"}]}}
    out = expand_items({**step, "withItems": ["hello (x)", 7, True]})
    assert [s["name"] for s in out] == ["s(0:hello x)", "s(1:7)", "s(2:true)"]
    assert out[0]["arguments"]["parameters"][0]["value"] == "hello (x)"
    maps = expand_items({**step, "withItems": [{"os": "debian", "v": 9}]})
    assert maps[0]["name"] == "s(0:os:debian,v:9)"
    assert json.loads(maps[0]["arguments"]["parameters"][0]["value"]) == {"os": "debian", "v": 9}
    lists = expand_items({**step, "withItems": [[1, 2]]})
    assert lists[0]["name"] == "s(0:[1 2])"


def test_item_fields_and_strictness():
    step = {
        "name": "s",
        "template": "t",
        "withItems": [{"a": "x"}],
        "arguments": {"parameters": [{"name": "p", "value": "{{item.b}}"}]},
    }
    with pytest.raises(Exception, match=r"failed to resolve \{\{item.b\}\}"):
        expand_items(step)


def test_with_param_must_be_a_json_list():
    with pytest.raises(ArgumentError, match="withParam value could not be parsed as a JSON list"):
        expand_items({"name": "s", "template": "t", "withParam": "not json"})
    assert expand_items({"name": "s", "template": "t", "withParam": "nope", "when": "false"}) == []


def test_sequences_count_down_and_format():
    assert expand_sequence({"count": "3"}) == ["0", "1", "2"]
    assert expand_sequence({"start": "5", "end": "3"}) == ["5", "4", "3"]
    assert expand_sequence({"start": "1", "end": "2", "format": "x%02d"}) == ["x01", "x02"]
    assert expand_sequence({"count": 0}) == []


def test_aggregates_take_succeeded_children_in_loop_order():
    children = [
        (1, {"result": '{"a": 2}', "parameters": [{"name": "p", "value": "y"}]}, "Succeeded"),
        (0, {"result": "1", "parameters": [{"name": "p", "value": "x"}]}, "Succeeded"),
        (2, {"result": "3"}, "Failed"),
    ]
    scope = aggregate_outputs("steps.s", children)
    assert scope["steps.s.outputs.result"] == '[1,{"a":2}]'
    assert scope["steps.s.outputs.parameters.p"] == '["x","y"]'
    assert json.loads(scope["steps.s.outputs.parameters"]) == [{"p": "x"}, {"p": "y"}]


def test_arguments_bind_inputs_with_defaults_and_errors():
    tmpl = {
        "name": "t",
        "inputs": {"parameters": [{"name": "a", "default": "d"}, {"name": "b"}]},
        "container": {"args": ["{{inputs.parameters.a}}-{{inputs.parameters.b}}"]},
    }
    out = process_args(tmpl, {"parameters": [{"name": "b", "value": 2}]}, {}, {})
    assert out["container"]["args"] == ["d-2"]
    with pytest.raises(ArgumentError, match="inputs.parameters.b was not supplied"):
        process_args(tmpl, {}, {}, {})

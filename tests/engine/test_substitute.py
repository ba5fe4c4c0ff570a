from __future__ import annotations

import pytest

from wfsync.engine.substitute import SubstitutionError, substitute


def test_simple_tags_are_trimmed_and_spliced_raw():
    assert substitute({"a": "x{{ inputs.parameters.m }}y"}, {"inputs.parameters.m": 'he said "hi"'}) == {
        "a": 'xhe said "hi"y'
    }


def test_map_keys_are_substituted_too():
    assert substitute({"{{k}}": 1}, {"k": "key"}) == {"key": 1}


def test_lenient_leaves_unknown_tags_and_strict_fails():
    assert substitute("{{item}} {{foo}}", {}) == "{{item}} {{foo}}"
    with pytest.raises(SubstitutionError, match=r"failed to resolve \{\{item\}\}"):
        substitute("{{item}}", {}, allow_unresolved=False)


def test_expression_tags_render_json_and_strings():
    params = {"inputs.parameters.n": "3", "workflow.name": "wf"}
    assert substitute("{{=asInt(inputs.parameters.n) * 10}}", params) == "30"
    assert substitute("{{=[1, 2]}}", params) == "[1,2]"
    assert substitute("{{=workflow.name}}", params) == "wf"


def test_failing_expression_stays_literal_when_lenient():
    assert substitute("{{=steps.missing.outputs.result}}", {}) == "{{=steps.missing.outputs.result}}"
    with pytest.raises(SubstitutionError, match="failed to evaluate expression"):
        substitute("{{=nope.x}}", {}, allow_unresolved=False)


def test_nested_tag_resolves_the_inner_one_first():
    assert substitute("{{a.{{b}}}}", {"b": "c"}) == "{{a.c}}"

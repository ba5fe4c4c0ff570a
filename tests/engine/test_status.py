from __future__ import annotations

from wfsync.engine import status as st


def test_fnv1a32_matches_argo_testdata():
    assert st.fnv1a32("dag-disable-fail-fast-r6xdc.C(0)") == 3256495944
    assert st.fnv1a32("dag-disable-fail-fast-r6xdc.A") == 3928436299


def test_node_ids_and_pod_names():
    assert st.node_id("wf", "wf") == "wf"
    assert (
        st.node_id("dag-disable-fail-fast-r6xdc", "dag-disable-fail-fast-r6xdc.A")
        == "dag-disable-fail-fast-r6xdc-3928436299"
    )
    assert st.pod_name("wf", "wf", "main") == "wf"
    assert st.pod_name("wf", "wf[0].a", "echo") == f"wf-echo-{st.fnv1a32('wf[0].a')}"


def test_display_names_drop_the_boundary_and_one_separator():
    assert st.display_name("wf[0]", "wf") == "[0]"
    assert st.display_name("wf[0].hello", "wf") == "hello"
    assert st.display_name("wf.A", "wf") == "A"
    assert st.display_name("wf.C(0)", "wf") == "C(0)"
    assert st.display_name("wf.onExit", None) == "wf.onExit"


def test_node_json_leaves_out_empty_fields():
    node = st.Node(id="wf-1", name="wf.A", display_name="A", type="Pod", phase=st.SUCCEEDED, started=0.0)
    out = node.to_json()
    assert out["phase"] == "Succeeded" and "children" not in out and "message" not in out

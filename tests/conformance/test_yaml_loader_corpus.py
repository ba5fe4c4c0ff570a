"""The fast node-to-data builder gives exactly what PyYAML's safe loader gives, over the corpus."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import corpus_path
from wfsync.library.yamlload import YamlSyntaxError, _Loader, load_stream


@pytest.mark.slow
def test_same_data_as_pyyaml_for_every_corpus_file() -> None:
    root = corpus_path()
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml"))
    same = both_rejected = 0
    differences = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            expected = list(yaml.load_all(text, Loader=_Loader))
        except (yaml.YAMLError, YamlSyntaxError, KeyError, ValueError):
            expected = None
        try:
            actual = [d.data for d in load_stream(text)]
        except YamlSyntaxError:
            actual = None
        if expected == actual:
            same += 1 if actual is not None else 0
            both_rejected += actual is None
        elif expected is None:
            differences.append(f"{path}: PyYAML crashes or rejects it, the builder accepts it")
        else:
            differences.append(f"{path}: data differs")
    print(f"\nyaml builder vs PyYAML: {same} files identical, {both_rejected} rejected by both")
    assert not differences, "\n".join(differences)

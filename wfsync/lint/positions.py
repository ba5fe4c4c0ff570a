"""Where a JSON path is in the source: line and column from a document's YAML node tree.

Findings name a JSON path; users need a line and a caret, so every rule's path is located here
rather than each rule tracking marks.
"""

from __future__ import annotations

import yaml

from wfsync.model.findings import JsonPath


def node_position(node: yaml.Node | None, path: JsonPath, *, key: bool = False) -> tuple[int, int] | None:
    """1-based line and column of the value at ``path`` in a document's node tree.

    A mapping entry is located at its key, or at its value when that is a scalar on the key's
    line (the caret then points at the misspelt name, not at ``template:``); ``key`` keeps the
    key's column. A path that leaves the tree gives the deepest place it reached.
    """
    if node is None:
        return None
    current: yaml.Node = node
    mark = current.start_mark
    for index, part in enumerate(path):
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    mark, current = key_node.start_mark, value_node
                    last = index == len(path) - 1
                    if (
                        last
                        and not key
                        and isinstance(value_node, yaml.ScalarNode)
                        and value_node.start_mark.line == mark.line
                    ):
                        mark = value_node.start_mark
                    break
            else:
                break
        elif (
            isinstance(current, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(current.value)
        ):
            current = current.value[part]
            mark = current.start_mark
        else:
            break
    return mark.line + 1, mark.column + 1


def position_or(node: yaml.Node | None, line: int, path: JsonPath) -> tuple[int, int]:
    """Where ``path`` is, or column 1 of ``line`` (the document's start) when there is no tree."""
    return node_position(node, path) or (line, 1)

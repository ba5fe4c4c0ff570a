"""A ruamel.yaml emitter that writes nested sequences the way Argo's ``steps`` are written.

With indented sequences (``indent(sequence=4, offset=2)``) ruamel writes a sequence inside a sequence
as ``-   - name: a``. Argo's parallel step groups read ``- - name: a``: the inner dash two columns after
the outer one. This emitter indents a nested sequence by two instead of four and puts its first dash
on the outer dash's line; everything else is ruamel's round-trip emitter unchanged.
"""

from __future__ import annotations

from ruamel.yaml.emitter import RoundTripEmitter


class ArgoEmitter(RoundTripEmitter):
    """Round-trip emitter with compact ``- - item`` nested sequences."""

    _inline_first_item = False

    def expect_block_sequence(self) -> None:
        """Start a block sequence; one nested directly in a sequence item starts on the item's line."""
        nested = not self.mapping_context and self.indent is not None
        super().expect_block_sequence()
        if nested and self.indent is not None:
            self.indent -= self.best_sequence_indent - self.sequence_dash_offset
            self._inline_first_item = True

    def expect_block_sequence_item(self, first: bool = False) -> None:
        """Write an item; the first item of a nested sequence goes right after the outer dash."""
        if not (first and self._inline_first_item):
            super().expect_block_sequence_item(first)
            return
        self._inline_first_item = False
        offset = self.sequence_dash_offset
        self.sequence_dash_offset = 0
        self.no_newline = True
        try:
            super().expect_block_sequence_item(first)
        finally:
            self.sequence_dash_offset = offset

"""The header comment above a converted GitHub Actions workflow, its lines kept comment lines.

The document itself is laid out by :mod:`wfsync.convert.layout`, which the Makefile converter
shares; canonical key order comes from ``wfsync fmt``, which the command applies (the converter
does not import the formatter).
"""

from __future__ import annotations


def comment_line(line: str) -> str:
    """A header line as one YAML comment line: text from the source never ends the comment."""
    # YAML also ends a line at NEL, LINE and PARAGRAPH SEPARATOR; other control characters are not text.
    flat = "".join(
        " " if ch < " " and ch != "\t" or ch in "\x7f\x85\u2028\u2029\ufeff" else ch for ch in line
    )
    return "#" if not flat else f"# {flat}"


def header_text(header: list[str]) -> str:
    """The header lines as the comment block above the document."""
    return "".join(f"{comment_line(line)}\n" for line in header)

"""A real headless browser (Debian's ``chromium``) for pages wfsync writes: console messages and screenshots.

Tests skip with the reason when chromium is not installed (``.ci/run`` installs it). Screenshots
are decoded here (8-bit RGB/RGBA, non-interlaced PNG, as chromium writes them) so that a test can
count the pixels of a colour without an imaging library.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

_CONSOLE = re.compile(r":(?:INFO|WARNING|ERROR):CONSOLE[^\]]*\] (.*)")


def chromium() -> str:
    """The browser's path, or skip the test saying what to install."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no headless browser: install Debian's chromium (apt-get install chromium)")


def _run(page: Path, *flags: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",  # tests run as root in CI containers
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={tmp / 'chromium-profile'}",
        "--enable-logging=stderr",
        "--v=0",
        *flags,
        page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603


def load(page: Path, tmp: Path) -> tuple[str, list[str]]:
    """The DOM chromium built from ``page`` and the console messages it logged while loading it."""
    done = _run(page, "--dump-dom", tmp=tmp)
    return done.stdout, _CONSOLE.findall(done.stderr)


def screenshot(page: Path, tmp: Path, width: int = 1280, height: int = 900) -> bytes:
    """A PNG of ``page`` at ``width`` x ``height``."""
    out = tmp / f"{page.stem}.png"
    _run(page, f"--screenshot={out}", f"--window-size={width},{height}", "--hide-scrollbars", tmp=tmp)
    assert out.exists(), "chromium wrote no screenshot"
    return out.read_bytes()


def pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGB rows of a PNG (8-bit RGB or RGBA, not interlaced)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, data, width, height, channels = 8, b"", 0, 0, 0
    while at < len(png):
        (size,) = struct.unpack(">I", png[at : at + 4])
        kind, body = png[at + 4 : at + 8], png[at + 8 : at + 8 + size]
        at += 12 + size
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, "unsupported PNG layout"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            data += body
    raw = zlib.decompress(data)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        previous = line
        rows.append(bytes(line) if channels == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
    return width, height, rows


def count_colour(png: bytes, rgb: str, tolerance: int = 24) -> int:
    """How many pixels of the screenshot are within ``tolerance`` of ``#rrggbb``."""
    want = bytes.fromhex(rgb.lstrip("#"))
    _, _, rows = pixels(png)
    found = 0
    for row in rows:
        for i in range(0, len(row), 3):
            if all(abs(row[i + k] - want[k]) <= tolerance for k in range(3)):
                found += 1
    return found

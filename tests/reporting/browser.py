"""A real headless Chromium (Debian's package, installed by scripts/ensure-chromium.sh) driven
through Playwright, and a check that a screenshot shows something."""

from __future__ import annotations

import shutil
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import BrowserContext, sync_playwright

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise RuntimeError("chromium is missing: run scripts/ensure-chromium.sh (make test does)")
    return path


@contextmanager
def chromium(profile: Path) -> Iterator[BrowserContext]:
    """A fresh browser profile in ``profile``; never downloads a browser of its own."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium_path(),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def png_pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the decompressed (still row-filtered) image data of a PNG."""
    assert png.startswith(PNG_SIGNATURE), "not a PNG"
    position, width, height, data = len(PNG_SIGNATURE), 0, 0, b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            data += body
        position += 12 + length
    return width, height, zlib.decompress(data)


def looks_blank(png: bytes) -> bool:
    """A one-colour page filters down to a handful of byte values; text, bars and colours
    give many."""
    _, _, pixels = png_pixels(png)
    return len(set(pixels)) < 32

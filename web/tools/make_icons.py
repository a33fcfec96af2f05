#!/usr/bin/env python3
"""Draws the app's PNG icons (192 and 512 px) with the standard library only:
a blue rounded square with a white page and three lines, like icon.svg.
Run from the repository root: python3 web/tools/make_icons.py"""
import struct
import zlib
from pathlib import Path

BLUE = (0x1D, 0x4E, 0x89)
WHITE = (0xFF, 0xFF, 0xFF)
PALE = (0xC9, 0xD8, 0xEC)


def pixel(x, y):
    """Colour at (x, y) in the 64x64 design space, or None (transparent)."""
    r = 12
    cx = min(max(x, r), 64 - r)
    cy = min(max(y, r), 64 - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return None
    on_page = 18 <= x <= 48 and 14 <= y <= 50 and not (x > 40 and y < 14 + (x - 40))
    if on_page:
        if 40 <= x <= 48 and 14 <= y <= 22 and y >= 14 + (x - 40):
            return PALE
        for ly, x_end in ((30, 43), (37, 43), (44, 36)):
            if abs(y - ly) <= 1.5 and 21.5 <= x <= x_end + 1.5:
                return BLUE
        return WHITE
    return BLUE


def png(size):
    rows = []
    s = 64 / size
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            c = pixel((i + 0.5) * s, (j + 0.5) * s)
            row += bytes((*c, 255)) if c else bytes((0, 0, 0, 0))
        rows.append(bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "app" / "icons"
    for size in (192, 512):
        (out / f"icon-{size}.png").write_bytes(png(size))
        print(f"wrote {out / f'icon-{size}.png'}")

#!/usr/bin/env python3
"""Draws Checkpoint Studio's icon: checkpoint-studio.svg and PNGs of the hicolor sizes, from one
description of its shapes (a rounded tile, three tensor slabs, a check mark). Standard library
only: the PNGs are rasterised here with 4x4 supersampling (2x2 from 128 up) and written with zlib.

    make_icons.py OUT_DIR  ->  OUT_DIR/checkpoint-studio.svg, OUT_DIR/NxN/checkpoint-studio.png
"""
import os
import struct
import sys
import zlib

SIZES = (16, 24, 32, 48, 64, 128, 256)
TILE = (0x1F, 0x3A, 0x5F)
SLABS = [((0x8E, 0xC5, 0xFF), 0.18, 0.24), ((0x5F, 0xA8, 0xF5), 0.18, 0.42), ((0x3D, 0x86, 0xD9), 0.18, 0.60)]
CHECK = (0x5C, 0xD6, 0x8A)
# In a unit square: the tile's corner radius, each slab's (x, y, w, h), the check's stroke.
RADIUS = 0.18
SLAB_W, SLAB_H = 0.48, 0.12
CHECK_PTS = [(0.58, 0.66), (0.68, 0.76), (0.86, 0.50)]
CHECK_WIDTH = 0.075


def in_rounded(x, y, x0, y0, w, h, r):
    if not (x0 <= x <= x0 + w and y0 <= y <= y0 + h):
        return False
    cx = min(max(x, x0 + r), x0 + w - r)
    cy = min(max(y, y0 + r), y0 + h - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def near_segment(x, y, a, b, width):
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    px, py = ax + t * dx, ay + t * dy
    return (x - px) ** 2 + (y - py) ** 2 <= (width / 2) ** 2


def colour_at(x, y):
    """RGBA of the point (x, y) of the unit square."""
    if any(near_segment(x, y, CHECK_PTS[i], CHECK_PTS[i + 1], CHECK_WIDTH) for i in range(2)):
        return CHECK + (255,)
    for colour, sx, sy in SLABS:
        if in_rounded(x, y, sx, sy, SLAB_W, SLAB_H, 0.03):
            return colour + (255,)
    if in_rounded(x, y, 0.04, 0.04, 0.92, 0.92, RADIUS):
        return TILE + (255,)
    return (0, 0, 0, 0)


def png(size):
    ss = 4 if size <= 64 else 2
    rows = []
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            acc = [0, 0, 0, 0]
            for sj in range(ss):
                for si in range(ss):
                    c = colour_at((i + (si + 0.5) / ss) / size, (j + (sj + 0.5) / ss) / size)
                    acc[0] += c[0] * c[3]
                    acc[1] += c[1] * c[3]
                    acc[2] += c[2] * c[3]
                    acc[3] += c[3]
            alpha = acc[3] / (ss * ss)
            row += bytes([round(acc[k] / acc[3]) if acc[3] else 0 for k in range(3)] + [round(alpha)])
        rows.append(bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def svg():
    hexc = lambda c: "#%02x%02x%02x" % c
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 1 1">',
             f'<rect x="0.04" y="0.04" width="0.92" height="0.92" rx="{RADIUS}" fill="{hexc(TILE)}"/>']
    for colour, sx, sy in SLABS:
        parts.append(f'<rect x="{sx}" y="{sy}" width="{SLAB_W}" height="{SLAB_H}" rx="0.03" fill="{hexc(colour)}"/>')
    pts = " ".join(f"{x},{y}" for x, y in CHECK_PTS)
    parts.append(f'<polyline points="{pts}" fill="none" stroke="{hexc(CHECK)}" stroke-width="{CHECK_WIDTH}" '
                 'stroke-linecap="round" stroke-linejoin="round"/>')
    parts.append("</svg>\n")
    return "\n".join(parts)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "checkpoint-studio.svg"), "w") as f:
        f.write(svg())
    for size in SIZES:
        folder = os.path.join(out, f"{size}x{size}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "checkpoint-studio.png"), "wb") as f:
            f.write(png(size))


if __name__ == "__main__":
    main()

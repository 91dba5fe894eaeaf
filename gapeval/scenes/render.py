"""Flat-colour, alias-free renderings of the built-in families (scenes, grids, clocks, flags, dice).

Everything is drawn with :mod:`PIL.ImageDraw` in colours of :data:`gapeval.scenes.palette.PALETTE`,
so the readers of :mod:`gapeval.scenes` (and the verifiers built on them) can read the images exactly.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from PIL import Image, ImageDraw

from gapeval.scenes.palette import PALETTE


def png_bytes(image: Image.Image) -> bytes:
    """Encode ``image`` as PNG; the same pixels always give the same bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def render_scene(objects: Sequence[dict[str, Any]], *, canvas: int = 192) -> Image.Image:
    """Draw ``objects`` (``colour``, ``shape``, top-left ``x``, ``y`` and ``size`` in pixels) on white."""
    image = Image.new("RGB", (canvas, canvas), PALETTE["white"])
    draw = ImageDraw.Draw(image)
    for obj in objects:
        x, y, s = obj["x"], obj["y"], obj["size"]
        fill = PALETTE[obj["colour"]]
        if obj["shape"] == "square":
            draw.rectangle([x, y, x + s - 1, y + s - 1], fill=fill)
        elif obj["shape"] == "circle":
            draw.ellipse([x, y, x + s - 1, y + s - 1], fill=fill)
        else:
            draw.polygon([(x, y + s - 1), (x + (s - 1) / 2, y), (x + s - 1, y + s - 1)], fill=fill)
    return image


def render_grid(cells: Sequence[Sequence[str]], *, side: int = 160) -> Image.Image:
    """Draw a grid of coloured cells with 1-pixel gray borders; cells are ``side // max(rows, cols)``
    (at least 20) pixels wide."""
    rows, cols = len(cells), len(cells[0])
    cell = max(20, side // max(rows, cols))
    image = Image.new("RGB", (cols * cell, rows * cell), PALETTE["gray"])
    draw = ImageDraw.Draw(image)
    for r, row in enumerate(cells):
        for c, colour in enumerate(row):
            draw.rectangle([c * cell + 1, r * cell + 1, (c + 1) * cell - 2, (r + 1) * cell - 2], fill=PALETTE[colour])
    return image


def render_clock(hour: int, minute: int, *, side: int = 128) -> Image.Image:
    """Draw a clock face: black outline and ticks, long red minute hand under a short blue hour hand."""
    image = Image.new("RGB", (side, side), PALETTE["white"])
    draw = ImageDraw.Draw(image)
    centre, radius = side / 2, side / 2 - 4
    draw.ellipse([4, 4, side - 5, side - 5], outline=PALETTE["black"], width=3)
    for tick in range(12):
        angle = math.radians(tick * 30)
        inner = radius - (12 if tick % 3 == 0 else 7)
        draw.line(
            [_polar(centre, inner, angle), _polar(centre, radius - 2, angle)], fill=PALETTE["black"], width=3
        )
    minute_angle = math.radians(6 * minute)
    hour_angle = math.radians(30 * (hour % 12) + 0.5 * minute)
    draw.line([(centre, centre), _polar(centre, radius * 0.82, minute_angle)], fill=PALETTE["red"], width=4)
    draw.line([(centre, centre), _polar(centre, radius * 0.5, hour_angle)], fill=PALETTE["blue"], width=7)
    return image


def render_flag(flag: dict[str, Any], *, width: int = 144, height: int = 96) -> Image.Image:
    """Draw a flag from its geometry: ``{"layout": "vertical"|"horizontal", "colours": [...]}``,
    ``{"layout": "disc", "field": c, "disc": c, "offset": fraction}`` or
    ``{"layout": "cross", "field": c, "cross": c, "nordic": bool}``."""
    image = Image.new("RGB", (width, height), PALETTE["white"])
    draw = ImageDraw.Draw(image)
    layout = flag["layout"]
    if layout in ("vertical", "horizontal"):
        colours = flag["colours"]
        n = len(colours)
        for i, colour in enumerate(colours):
            if layout == "vertical":
                box = [round(i * width / n), 0, round((i + 1) * width / n) - 1, height - 1]
            else:
                box = [0, round(i * height / n), width - 1, round((i + 1) * height / n) - 1]
            draw.rectangle(box, fill=PALETTE[colour])
    elif layout == "disc":
        draw.rectangle([0, 0, width - 1, height - 1], fill=PALETTE[flag["field"]])
        cx, cy, r = width * (0.5 - flag.get("offset", 0.0)), height / 2, height * 0.3
        draw.ellipse([cx - r, cy - r, cx + r - 1, cy + r - 1], fill=PALETTE[flag["disc"]])
    elif layout == "cross":
        draw.rectangle([0, 0, width - 1, height - 1], fill=PALETTE[flag["field"]])
        bar = round(height * 0.2)
        cx = round(width * (0.36 if flag.get("nordic") else 0.5))
        if flag.get("nordic"):
            draw.rectangle([cx - bar // 2, 0, cx + bar // 2 - 1, height - 1], fill=PALETTE[flag["cross"]])
            draw.rectangle([0, height // 2 - bar // 2, width - 1, height // 2 + bar // 2 - 1], fill=PALETTE[flag["cross"]])
        else:
            arm = round(height * 0.3)
            draw.rectangle([cx - bar // 2, height // 2 - arm, cx + bar // 2 - 1, height // 2 + arm - 1], fill=PALETTE[flag["cross"]])
            draw.rectangle([cx - arm, height // 2 - bar // 2, cx + arm - 1, height // 2 + bar // 2 - 1], fill=PALETTE[flag["cross"]])
    else:
        raise ValueError(f"unknown flag layout {layout!r}; use vertical, horizontal, disc or cross")
    return image


def render_swatches(colours: Sequence[str], *, side: int = 96) -> Image.Image:
    """Draw one square swatch per colour, side by side on white with gaps."""
    n = len(colours)
    image = Image.new("RGB", (n * side + (n + 1) * 8, side + 16), PALETTE["white"])
    draw = ImageDraw.Draw(image)
    for i, colour in enumerate(colours):
        x = 8 + i * (side + 8)
        draw.rectangle([x, 8, x + side - 1, 8 + side - 1], fill=PALETTE[colour])
    return image


def render_die(pips: int, *, side: int = 120) -> Image.Image:
    """Draw a die face with ``pips`` black pips inside a gray border on white."""
    image = Image.new("RGB", (side, side), PALETTE["white"])
    draw = ImageDraw.Draw(image)
    draw.rectangle([4, 4, side - 5, side - 5], outline=PALETTE["gray"], width=3)
    spots = {
        1: [(1, 1)],
        2: [(0, 0), (2, 2)],
        3: [(0, 0), (1, 1), (2, 2)],
        4: [(0, 0), (0, 2), (2, 0), (2, 2)],
        5: [(0, 0), (0, 2), (1, 1), (2, 0), (2, 2)],
        6: [(0, 0), (1, 0), (2, 0), (0, 2), (1, 2), (2, 2)],
    }[pips]
    step, r = side / 4, side // 10
    for gx, gy in spots:
        cx, cy = step * (gx + 1), step * (gy + 1)
        draw.ellipse([cx - r, cy - r, cx + r - 1, cy + r - 1], fill=PALETTE["black"])
    return image


def _polar(centre: float, radius: float, angle: float) -> tuple[float, float]:
    return centre + radius * math.sin(angle), centre - radius * math.cos(angle)

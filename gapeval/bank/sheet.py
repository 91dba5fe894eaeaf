"""Contact sheet: a PNG grid of sample items, one row per category."""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

from gapeval.bank.io import Bank
from gapeval.bank.schema import BankImage


def contact_sheet(bank: Bank, *, per_category: int = 6, seed: int = 0, thumb: int = 96) -> Image.Image:
    """Thumbnails of ``per_category`` randomly chosen items per category (the prompt image, or the
    reference of a text-to-image item), each captioned with its item id.

    Examples
    --------
    >>> from gapeval.bank.io import load_bank
    >>> contact_sheet(load_bank("builtin"), per_category=2).size
    (224, 472)
    """
    rng = random.Random(seed)
    categories = sorted({item.category for item in bank.items})
    caption = 14
    sheet = Image.new("RGB", (per_category * (thumb + 16), len(categories) * (thumb + caption + 8)), "white")
    draw = ImageDraw.Draw(sheet)
    for row, category in enumerate(categories):
        items = [i for i in bank.items if i.category == category and _picture(i) is not None]
        for col, item in enumerate(rng.sample(items, min(per_category, len(items)))):
            image = bank.open_image(_picture(item))  # type: ignore[arg-type]
            image.thumbnail((thumb, thumb))
            x, y = col * (thumb + 16) + 8, row * (thumb + caption + 8) + 4
            sheet.paste(image, (x, y))
            draw.text((x, y + thumb + 1), item.id[:16], fill="black")
    return sheet


def _picture(item) -> str | None:  # noqa: ANN001
    for part in item.prompt:
        if isinstance(part, BankImage):
            return part.path
    return item.reference

"""Avatars: the fixed sizes uploads are cut to, and the generated default (an initial on a
colour) for members without one. Pure functions; accounts.services stores the files."""

from __future__ import annotations

import unicodedata
import zlib

from PIL import Image, ImageOps

# Square sides in pixels, by the model field that holds each: the profile and the API show
# the large one (96 px at 2x), posts and notifications the small one (32-40 px at up to 2x).
LARGE = 192
SMALL = 64
SIZES = {"avatar": LARGE, "avatar_small": SMALL}

# Default avatars' backgrounds: white text on each is above 4.5:1 (WCAG AA), and the
# stylesheet has one class per colour (no inline style, so CSP stays strict).
PALETTE_SIZE = 8


def square(image: Image.Image, side: int) -> Image.Image:
    """The centre square of an upright `image`, resized to `side` pixels."""
    return ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def upright(image: Image.Image) -> Image.Image:
    """Apply the camera's orientation tag, which is dropped with the rest of the metadata,
    and bring palette and odd modes to RGB(A) so resizing blends colours."""
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "RGBA", "L"):
        clear = "transparency" in image.info or "A" in image.mode
        image = image.convert("RGBA" if clear else "RGB")
    return image


def initial(name: str) -> str:
    """The first letter or digit of a member's name, upper-cased ("?" when there is none)."""
    for ch in unicodedata.normalize("NFKC", name):
        if ch.isalnum():
            return ch.upper()
    return "?"


def colour(username: str) -> int:
    """A stable colour for the member: the same on every page and every process."""
    return zlib.crc32(username.lower().encode()) % PALETTE_SIZE

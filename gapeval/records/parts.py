"""Message content: text and image parts (a tagged union on ``type``) and messages.

An image part carries the sha256 of its encoded bytes, its size and its origin (``input``, ``model``
or ``gold``); the bytes live in a content-addressed folder, so the record holds the hash and
optionally a path (or, in memory only, the bytes themselves).

Examples
--------
>>> message = Message(role="user", parts=(TextPart(text="What colour is this?"),))
>>> Message.model_validate_json(message.model_dump_json()) == message
True
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from gapeval.records._base import Record

__all__ = ["ImagePart", "Message", "Origin", "Part", "TextPart", "encode_png"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

#: Where an image came from: the item's input, the model's own output, or a gold reference.
Origin = Literal["input", "model", "gold"]


class TextPart(Record):
    """A piece of text in a message."""

    type: Literal["text"] = "text"
    """Discriminator of the part union."""
    text: str
    """The text itself."""


def encode_png(image: Any) -> bytes:
    """Encode a PIL image as PNG bytes with fixed settings, so equal pixels give equal bytes.

    Parameters
    ----------
    image : PIL.Image.Image
        The image; it is converted to RGB first.

    Returns
    -------
    bytes
        The PNG file content (no metadata, compression level 6).

    Examples
    --------
    >>> from PIL import Image
    >>> encode_png(Image.new("RGB", (2, 2), "red"))[:4]
    b'\\x89PNG'
    """
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


class ImagePart(Record):
    """An image in a message or an answer, identified by the sha256 of its encoded bytes.

    The record holds the hash, the size and the origin; the bytes live in a content-addressed
    folder (``path``) or, for an image just produced by a model, in memory (``data``, never
    serialised). Two image parts are equal when their serialised fields are equal.
    """

    type: Literal["image"] = "image"
    """Discriminator of the part union."""
    sha256: str
    """Lower-case hex sha256 of the encoded image file (PNG for model outputs)."""
    width: int = Field(gt=0)
    """Width in pixels."""
    height: int = Field(gt=0)
    """Height in pixels."""
    origin: Origin
    """Where the image came from: the item's input, the model's own output, or a gold reference."""
    path: str | None = None
    """Where the bytes can be read (optional; a content-addressed file)."""
    data: bytes | None = Field(default=None, exclude=True, repr=False)
    """The encoded bytes, in memory only (never written to JSON)."""

    @field_validator("sha256")
    @classmethod
    def _check_sha256(cls, value: str) -> str:
        if not _SHA256.match(value):
            raise ValueError(f"sha256 {value!r} is not 64 lower-case hex digits")
        return value

    @model_validator(mode="after")
    def _check_data(self) -> ImagePart:
        if self.data is not None and hashlib.sha256(self.data).hexdigest() != self.sha256:
            raise ValueError(f"image bytes do not hash to sha256 {self.sha256!r}")
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImagePart):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    def __hash__(self) -> int:
        return hash((self.sha256, self.width, self.height, self.origin, self.path))

    @classmethod
    def from_image(cls, image: Any, *, origin: Origin) -> ImagePart:
        """Encode a PIL image (see :func:`encode_png`) into an in-memory image part.

        Examples
        --------
        >>> from PIL import Image
        >>> part = ImagePart.from_image(Image.new("RGB", (4, 3), "blue"), origin="model")
        >>> (part.width, part.height, len(part.sha256), part.data is not None)
        (4, 3, 64, True)
        """
        data = encode_png(image)
        width, height = image.size
        return cls(
            sha256=hashlib.sha256(data).hexdigest(),
            width=width,
            height=height,
            origin=origin,
            data=data,
        )

    @classmethod
    def from_file(cls, path: str | Path, *, origin: Origin) -> ImagePart:
        """Describe an image file on disk (hash of its bytes, size read with PIL)."""
        from PIL import Image

        data = Path(path).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
        return cls(
            sha256=hashlib.sha256(data).hexdigest(),
            width=width,
            height=height,
            origin=origin,
            path=str(path),
        )

    def read_bytes(self) -> bytes:
        """Return the encoded bytes, from memory or from ``path``, checking the hash.

        Raises
        ------
        ValueError
            If the part has neither bytes nor a path, or the file does not match the hash.
        """
        if self.data is not None:
            return self.data
        if self.path is None:
            raise ValueError(
                f"image {self.sha256[:12]} has no bytes and no path; "
                "load it through the store (Store.image_path) or give a path"
            )
        data = Path(self.path).read_bytes()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ValueError(f"file {self.path!r} does not hash to sha256 {self.sha256!r}")
        return data

    def open(self) -> Any:
        """Return the image as an RGB ``PIL.Image.Image``."""
        from PIL import Image

        with Image.open(io.BytesIO(self.read_bytes())) as image:
            return image.convert("RGB")


#: A message part: text or image, told apart by ``type``.
Part = Annotated[TextPart | ImagePart, Field(discriminator="type")]


class Message(Record):
    """One message of an interleaved dialogue: a role and an ordered tuple of parts."""

    role: Literal["system", "user", "assistant"]
    """Who speaks."""
    parts: tuple[Part, ...]
    """Text and image parts, in reading order."""

    @property
    def images(self) -> tuple[ImagePart, ...]:
        """The image parts of the message, in order."""
        return tuple(part for part in self.parts if isinstance(part, ImagePart))

    @property
    def text(self) -> str:
        """The text parts joined by newlines."""
        return "\n".join(part.text for part in self.parts if isinstance(part, TextPart))


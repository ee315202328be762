"""The files ERP's image files: the products file names them, the listings aspect uploads them.

An image name in the products file (``images`` column) is a file in the image directory: the
products file's own directory, or the ``images_dir`` option (relative to ``path``). A name that
resolves outside that directory (``..``, an absolute path elsewhere, a symlink pointing out) is
refused, never read: the products file must not be a way to send any file the process can read
to a third party. A name with an image file suffix that is not there is an error naming it; any
other name that is not a file there (an uploaded uri, a URL) is not this ERP's, and is sent as it
is (``core/listing_images.py``).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from marshmallow import Schema, fields

from erpsync.core.errors import RecordError
from erpsync.core.listing_images import MAX_IMAGE_BYTES

from .host import FilesHost

__all__ = ["IMAGE_SUFFIXES", "ImagesMixin", "ImagesOptions"]

#: names with these suffixes are meant as files: missing, they are an error rather than a uri
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".bmp", ".gif", ".tif", ".tiff"})


class ImagesOptions(Schema):
    """The files ERP's ``images_dir`` option (mixed into its options schema)."""

    images_dir = fields.String(
        load_default=None,
        metadata={
            "description": "directory of the image files the products file names, relative to path "
            "(default: the products file's directory); no file outside it is read"
        },
    )


class ImagesMixin(FilesHost):
    """``ListingImageSource`` for the files ERP (``core/listing_images.py``)."""

    def images_directory(self) -> Path:
        """Where image names are looked up: ``images_dir``, else the products file's directory."""
        chosen = self.options.get("images_dir")
        if chosen:
            return (self.directory / chosen).resolve()
        return (self.directory / (self.options.get("products") or "products.csv")).parent.resolve()

    def read_listing_image(self, name: str) -> bytes | None:
        root = self.images_directory()
        if "://" in name or name.startswith("data:"):
            return None  # a URL: not a file of this ERP
        try:
            path = (root / name).resolve()
        except (OSError, ValueError) as exc:  # a NUL byte, a symlink loop
            raise RecordError(f"not a usable file name: {exc}") from None
        if not path.is_relative_to(root):
            raise RecordError(f"outside the image directory {self._shown(root)}: not read")
        shown = self._shown(path)
        if path.exists() and not path.is_file():
            raise RecordError("not a file", source=shown)
        if not path.exists():
            if PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES:
                raise RecordError(f"no such file in {self._shown(root)}", source=shown)
            return None  # an uploaded uri, or another name that is no file here
        try:
            with path.open("rb") as fh:
                return fh.read(MAX_IMAGE_BYTES + 1)  # one byte more says "too large" without reading it all
        except OSError as exc:
            raise RecordError(f"cannot read: {exc.strerror or exc}", source=shown) from None

"""The languages erpsync writes its messages in: English and Simplified Chinese.

Apart from ``core/models.py`` so the command line can offer ``--lang`` without importing the
models (``erpsync --help`` imports only what parsing needs).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["LANGS", "Lang"]

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

"""Test helper (not a test module): the fake shop and the answer builders of the TikTok client tests.

The ``test_tiktok_*`` files (and ``test_http.py``, for the clock) import it as
``from open_api_fakes import ...``: a plain module, not ``conftest``, because with several
``conftest.py`` files and no test packages ``from conftest import ...`` would resolve to whichever
was loaded last. The ``assert_signed`` fixture built on these constants lives in
``tests/unit/conftest.py``. Nothing here imports the sandbox or the connector.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import requests

BASE = "https://open-api.test"
APP_KEY = "appkey123"
SECRET = "s3cr3t-app-secret"
TOKEN = "ROW_token-abcdef"
CIPHER = "ROW_cipher"
NOW = 1_700_000_000

#: ``assert_signed(request, cipher=True)``: checks the request, returns its query
Signed = Callable[..., dict[str, str]]


def ok(data: object, request_id: str = "req-1") -> dict:
    """An Open API success envelope."""
    return {"code": 0, "message": "Success", "request_id": request_id, "data": data}


def fail(code: int, message: str = "nope", request_id: str = "req-9") -> dict:
    """An Open API error envelope."""
    return {"code": code, "message": message, "request_id": request_id, "data": None}


def query(request: requests.PreparedRequest) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))


class Clock:
    """A clock that only moves when someone sleeps (the sleeps are recorded): tests never wait."""

    def __init__(self, now: float = NOW) -> None:
        self.now = float(now)
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

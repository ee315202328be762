"""Unit-test fixtures: a fresh state store, and for the TikTok client tests the reference request
signature and the ``assert_signed`` check built on it.

The signature is recomputed here straight from the reference (``docs/open-api-slice.md`` §2),
independently of ``signing.py``, so a test compares the client against the spec rather than
against itself. It is a fixture, not an importable function: with several ``conftest.py`` files
and no test packages, ``from conftest import ...`` would resolve to whichever was loaded last.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from open_api_fakes import APP_KEY, CIPHER, SECRET, TOKEN, Signed, query

from erpsync.core.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite state store in the test's own directory, closed afterwards."""
    s = Store.open(f"sqlite:///{tmp_path}/state.db")
    yield s
    s.close()


#: query parameters the signature leaves out (reference §2 step 1)
UNSIGNED_PARAMS = ("sign", "access_token")


def reference_sign(request: requests.PreparedRequest, secret: str) -> str:
    """hex HMAC-SHA256(secret, secret + path + sorted key+value pairs + body + secret).

    Fails the test when a query key appears twice (``ids=1&ids=2``): the reference signs a map,
    so a repeated key has no defined signature and the API would reject the call. A
    multipart/form-data body is not signed (reference §2 step 5).
    """
    pairs = parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
    repeated = sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
    assert not repeated, f"query repeats {', '.join(repeated)}: {request.url}"
    params = {k: v for k, v in pairs if k not in UNSIGNED_PARAMS}
    text = urlsplit(request.url).path + "".join(k + params[k] for k in sorted(params))
    body = request.body or b""
    body = body if isinstance(body, bytes) else body.encode()
    if "multipart/form-data" in request.headers.get("Content-Type", ""):
        body = b""
    message = secret.encode() + text.encode() + body + secret.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@pytest.fixture(name="reference_sign")
def reference_sign_fixture() -> Callable[[requests.PreparedRequest, str], str]:
    """:func:`reference_sign`, for ``assert_signed`` fixtures of the test modules."""
    return reference_sign


@pytest.fixture
def signed_timestamp() -> int | None:
    """The ``timestamp`` every signed request must carry; ``None``: not checked (the module's clock moves).

    A module whose client reads a fixed clock overrides this with that time.
    """
    return None


@pytest.fixture
def assert_signed(signed_timestamp: int | None) -> Signed:
    """Check a request of the fake shop (``open_api_fakes``) against the reference signature.

    ``cipher`` says whether the call is shop-scoped (``shop_cipher`` present and right) or not
    (absent). The access token travels in the header, never in the query, and every request
    names its content type (JSON, or multipart for an upload). Returns the query.
    """

    def check(request: requests.PreparedRequest, *, cipher: bool = True) -> dict[str, str]:
        q = query(request)
        assert q["app_key"] == APP_KEY
        if signed_timestamp is not None:
            assert q["timestamp"] == str(signed_timestamp)
        assert q["sign"] == reference_sign(request, SECRET)
        assert (q.get("shop_cipher") == CIPHER) is cipher and ("shop_cipher" in q) is cipher
        assert "access_token" not in q
        assert request.headers["x-tts-access-token"] == TOKEN
        # the reference marks content-type required on every endpoint, GET included
        content_type = request.headers.get("Content-Type", "")
        assert content_type == "application/json" or content_type.startswith("multipart/form-data"), content_type
        return q

    return check

"""What a failed connection proves: whether the server can have seen any byte of the request.

``HttpClient`` resends a non-idempotent request only when the failure proves it was never
processed, and reports a certificate that failed verification as permanent. Both answers come
from the errors ``requests`` wraps around urllib3's and the ``ssl`` module's, nested a few levels
deep and differently per failure; reading them apart from the client keeps that unwrapping in
one place, where each rule can say which nesting it relies on.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError
from urllib3.exceptions import ProxyError as Urllib3ProxyError
from urllib3.exceptions import SSLError as Urllib3SSLError


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps, outermost first, as ``requests`` and urllib3 nest their errors.

    ``requests`` keeps urllib3's error in ``args[0]`` (usually a ``MaxRetryError``, whose
    ``reason`` is the failure); a proxy's ``ProxyError`` keeps the failure in ``original_error``;
    urllib3's ``SSLError`` keeps the ``ssl`` module's in ``args[0]``. A few steps at most.
    """
    current: BaseException | None = exc
    for _ in range(8):
        if current is None:
            return
        yield current
        if isinstance(current, MaxRetryError):
            current = current.reason
        elif isinstance(current, Urllib3ProxyError):
            current = current.original_error
        elif isinstance(current, requests.RequestException | Urllib3SSLError) and current.args:
            first = current.args[0]
            current = first if isinstance(first, BaseException) else None
        else:
            current = None


def _failed_in_handshake(error: ssl.SSLError) -> bool:
    """True when the TLS handshake raised ``error``: before it completes, no byte of the request
    can have been sent. Told by where it was raised (``SSLSocket.do_handshake``), since the same
    classes are raised by a read after the request went out."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_name == "do_handshake"


def is_certificate_failure(exc: requests.RequestException) -> bool:
    """True when the server's certificate failed verification (untrusted, expired, wrong host).

    Retrying cannot help: the certificate, the host name or the CA bundle has to change, so the
    caller reports it as permanent.
    """
    return any(isinstance(cause, ssl.SSLCertVerificationError) for cause in _causes(exc))


def is_connect_failure(exc: requests.RequestException) -> bool:
    """True when ``exc`` shows the connection was never opened, so no byte of the request was sent.

    ``requests`` wraps urllib3's error: a connect timeout, a refused connection or a failed DNS
    lookup (``NewConnectionError`` and its subclasses), also behind a proxy's ``ProxyError`` (the
    proxy itself could not be reached), and a TLS handshake that failed prove the server saw
    nothing. Anything else (a reset or a read timeout after sending, an unexpected wrapping) may
    have reached the server, so the answer is False whenever unsure.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    for cause in _causes(exc):
        if isinstance(cause, NewConnectionError | ConnectTimeoutError):
            return True
        if isinstance(cause, ssl.SSLError) and _failed_in_handshake(cause):
            return True
    return False

"""``recorded_code`` reads back the code a ``ConnectorError`` rendered into its text (the ledger's
``last_error``), so a later run can act on how a write was refused."""

from __future__ import annotations

import pytest

from erpsync.core.errors import ConnectorError, PermanentError, recorded_code


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (PermanentError("only once", connector="tiktok", operation="update", code=21011051), "21011051"),
        (PermanentError("only once", code=21011051, status=400, request_id="202603021200, 7f"), "21011051"),
        (ConnectorError("odoo said no", code="access_denied", status=403), "access_denied"),
        (ConnectorError("refused", status=503, request_id="r1"), None),
        (ConnectorError("the server said (code 21011051)", status=400), None),
        (ConnectorError("no context at all"), None),
    ],
)
def test_the_code_rendered_at_the_end_is_read_back_and_nothing_else(error: ConnectorError, code: str | None) -> None:
    assert recorded_code(str(error)) == code
    assert recorded_code(str(error) + "\n") == code


def test_a_redacted_error_keeps_its_code() -> None:
    error = PermanentError("token s3cr3t-t0ken refused", code=21011051, request_id="r1")
    error.redact(lambda text: text.replace("s3cr3t-t0ken", "***"))
    assert "***" in str(error) and recorded_code(str(error)) == "21011051"

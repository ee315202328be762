"""core/redaction.py: a secret is hidden in the escaped forms a message may quote it in."""

from __future__ import annotations

import json

import pytest

from erpsync.core.redaction import redact

SECRETS = ["tok-SECRET-123456\n", "pass'word\"SECRET", "sécret-VALUE-99", "back\\slash-SECRET"]


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize(
    "show",
    [
        repr,
        lambda s: repr([s]),
        lambda s: repr(repr(s)),
        json.dumps,
        lambda s: json.dumps(s, ensure_ascii=False),
        lambda s: s.encode("unicode_escape").decode(),
        str.strip,
    ],
    ids=["repr", "repr-list", "repr-twice", "json", "json-utf8", "unicode-escape", "stripped"],
)
def test_a_secret_is_hidden_escaped(secret: str, show) -> None:
    core = secret.strip().replace("\\", "").split("SECRET")[0]
    text = redact(f"Invalid header value: {show(secret)} (sent)", [secret])
    assert "SECRET" not in text and "VALUE-99" not in text, text
    assert core not in text or len(core) < 4, text
    assert text.startswith("Invalid header value: ") and text.endswith(" (sent)")

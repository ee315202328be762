"""The Fernet keys of ERPSYNC_SECRET_KEYS: parsing, encrypting, rotating, and errors that never show a key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from erpsync.core.secrets import KEYS_ENV, PREFIX, Cipher, SecretKeyError, is_encrypted, new_key

A, B = new_key(), new_key()


def cipher(text: str) -> Cipher:
    found = Cipher.parse(text)
    assert found is not None
    return found


def test_no_key_is_no_cipher() -> None:
    assert Cipher.parse("") is None and Cipher.parse(" , ") is None
    assert Cipher.from_env({}) is None and Cipher.from_env({KEYS_ENV: ""}) is None
    assert Cipher.from_env({KEYS_ENV: f" {A} "}) is not None


def test_a_malformed_key_is_named_by_position_never_shown() -> None:
    bad = "not-a-fernet-key-but-a-secret-all-the-same"
    with pytest.raises(SecretKeyError) as caught:
        Cipher.parse(f"{A},{bad}")
    message = str(caught.value)
    assert KEYS_ENV in message and "key 2 of 2" in message
    assert bad not in message and A not in message


def test_encrypt_with_the_first_decrypt_with_any() -> None:
    stored = cipher(A).encrypt("tok-1")
    assert is_encrypted(stored) and stored.startswith(PREFIX) and "tok-1" not in stored
    assert cipher(f"{B},{A}").decrypt(stored, what="x") == "tok-1"
    assert cipher(f"{B},{A}").key_of(stored) == 2
    assert cipher(f"{B},{A}").key_of(cipher(f"{B},{A}").encrypt("t")) == 1
    assert cipher(A).decrypt("plain", what="x") == "plain" and cipher(A).key_of("plain") is None


def test_a_wrong_key_is_a_clear_error_without_the_key() -> None:
    stored = cipher(A).encrypt("tok-1")
    with pytest.raises(SecretKeyError) as caught:
        cipher(B).decrypt(stored, what="the tokens of shop 's'")
    message = str(caught.value)
    assert "none of the 1 key(s)" in message and KEYS_ENV in message and "shop 's'" in message
    assert A not in message and B not in message and "tok-1" not in message


def test_rotate_moves_a_value_to_the_newest_key_and_encrypts_plain_text() -> None:
    old = cipher(A).encrypt("tok-1")
    both = cipher(f"{B},{A}")
    rotated = both.rotate(old, what="x")
    assert cipher(B).decrypt(rotated, what="x") == "tok-1"
    # Fernet's rotate keeps the token's timestamp: the value's age is not reset by a rotation
    raw = Fernet(B).extract_timestamp(rotated[len(PREFIX) :])
    assert raw == Fernet(A).extract_timestamp(old[len(PREFIX) :])
    assert cipher(B).decrypt(both.rotate("plain", what="x"), what="x") == "plain"
    with pytest.raises(SecretKeyError):
        cipher(B).rotate(old, what="x")


def test_new_key_is_a_working_fernet_key() -> None:
    key = new_key()
    assert key != new_key() and Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"

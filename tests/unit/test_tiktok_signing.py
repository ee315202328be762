"""The signature against every public test vector in the reference (§2), and query normalisation."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from erpsync.connectors.tiktok.signing import TikTokAuth, normalize_query, query_value, sign, string_to_sign

FUDIWEI = {
    "app_key": "68xu9ks5p4i8",
    "shop_cipher": "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK",
    "timestamp": "1696909648",
}
FUDIWEI_BODY = b'{"event_type":"PACKAGE_UPDATE","address":"https://partner.tiktokshop.com"}'
FUDIWEI_BODY_SWAPPED = b'{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}'


def test_official_doc_vector() -> None:
    params = {"app_key": "29a39d", "timestamp": "1623812664"}
    assert (
        sign("/authorization/202309/shops", params, None, "e59af819cc")
        == "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    )


def test_ecomphp_vector() -> None:
    assert (
        sign("/test-api", {"foo": "bar"}, None, "app_secret")
        == "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"
    )


@pytest.mark.parametrize(
    ("body", "prefix"),
    [(None, "ed58e1b5"), (FUDIWEI_BODY, "701dd6de"), (FUDIWEI_BODY_SWAPPED, "cd0d6268")],
    ids=["get", "put", "put-keys-swapped"],
)
def test_fudiwei_vectors(body: bytes | None, prefix: str) -> None:
    # the reference gives only prefixes for these
    assert sign("/event/202309/webhooks", FUDIWEI, body, "e59af819cc").startswith(prefix)


def test_sign_and_access_token_are_never_signed() -> None:
    base = {"app_key": "29a39d", "timestamp": "1623812664"}
    with_extras = {**base, "sign": "old", "access_token": "tok"}
    assert sign("/p", with_extras, None, "s") == sign("/p", base, None, "s")


def test_keys_sorted_by_byte_order_and_body_appended() -> None:
    params = {"b": "2", "a": "1", "B": "3"}
    assert string_to_sign("/x", params, b"{}") == b"/xB3a1b2{}"


def test_empty_body_is_the_same_as_none() -> None:
    assert sign("/x", {"a": "1"}, b"", "k") == sign("/x", {"a": "1"}, None, "k")


def test_matches_an_independent_computation() -> None:
    params = {"timestamp": "1", "app_key": "k", "shop_cipher": "c", "ids": "1,2"}
    body = '{"x":"é"}'.encode()
    plain = b"s" + b"/y" + b"app_keykids1,2shop_cipherctimestamp1" + body + b"s"
    assert sign("/y", params, body, "s") == hmac.new(b"s", plain, hashlib.sha256).hexdigest()


# -- query values are normalised before they are sent and signed ------------------------------


def test_query_values_are_normalised() -> None:
    assert normalize_query(
        {
            "flag": True,
            "off": False,
            "ids": ["111", 222, True],
            "pair": ("a", "b"),
            "none": None,
            "empty": "",
            "no_ids": [],
            "n": 5,
            "zero": 0,
        }
    ) == {"flag": "true", "off": "false", "ids": "111,222,true", "pair": "a,b", "n": "5", "zero": "0"}
    assert query_value(None) is None and query_value("") is None and query_value("x") == "x"


def test_a_repeated_query_key_is_refused() -> None:
    with pytest.raises(ValueError, match="'ids' given more than once"):
        normalize_query([("ids", "1"), ("a", "x"), ("ids", "2")])
    assert normalize_query([("ids", "1,2")]) == {"ids": "1,2"}


def signed(url: str, params: object) -> requests.PreparedRequest:
    request = requests.Request("GET", url, params=params).prepare()
    return TikTokAuth("k", "s", "t", clock=lambda: 1_700_000_000)(request)


def test_auth_refuses_a_list_that_requests_sent_as_a_repeated_key() -> None:
    # requests encodes ["111", "222"] as ids=111&ids=222; the old code signed and sent only 222
    with pytest.raises(ValueError, match="more than once"):
        signed("https://open-api.test/order/202309/orders", {"ids": ["111", "222"]})


def test_auth_drops_empty_values_from_query_and_signature() -> None:
    request = signed("https://open-api.test/x", {"a": "1", "empty": ""})
    query = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    assert "empty" not in query
    expected = {"a": "1", "app_key": "k", "timestamp": "1700000000"}
    assert query["sign"] == sign("/x", expected, None, "s")


def test_auth_signs_normalised_values_as_sent() -> None:
    request = signed("https://open-api.test/x", normalize_query({"ids": ["1", "2"], "flag": True, "gone": None}))
    query = dict(parse_qsl(urlsplit(request.url).query))
    assert (query["ids"], query["flag"]) == ("1,2", "true") and "gone" not in query
    unsigned = {k: v for k, v in query.items() if k != "sign"}
    assert query["sign"] == sign("/x", unsigned, None, "s")

"""The DingTalk sink against ``responses``: signed URL (the reference's worked example), body, answers."""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from alert_samples import burst, event

from erpsync.core.errors import PermanentError, TemporaryError
from erpsync.plugins.alerts.dingtalk import DingTalkOptions, DingTalkSink, sign, signed_url
from erpsync.plugins.manager import build_registry, get_plugin_manager

TOKEN = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
URL = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"
#: the worked example of the channel reference (DingTalk custom robot docs' algorithm)
SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
TS = 1700000000015
SIGN_B64 = "WkhwWv/d9lDN+iQSL1g+x4dWEUFe/9+W28zhERrfbFU="
SIGN_QUERY = "WkhwWv%2Fd9lDN%2BiQSL1g%2Bx4dWEUFe%2F9%2BW28zhERrfbFU%3D"


def sink(tmp_path, clock=lambda: TS / 1000, **options):
    return DingTalkSink(DingTalkOptions().load({"url": URL, **options}), base_dir=tmp_path, clock=clock)


def test_sign_matches_the_worked_example():
    assert sign(SECRET, TS) == SIGN_B64
    assert signed_url(URL, SECRET, TS) == f"{URL}&timestamp={TS}&sign={SIGN_QUERY}"


@responses.activate
def test_send_posts_markdown_to_the_signed_url_encoded_once(tmp_path):
    responses.post("https://oapi.dingtalk.com/robot/send", json={"errcode": 0, "errmsg": "ok"})
    assert sink(tmp_path, secret=SECRET).send(event("zh")) == "errcode 0 ok"
    request = responses.calls[0].request
    assert request.url == f"{URL}&timestamp={TS}&sign={SIGN_QUERY}"
    assert "%25" not in request.url  # never double-encoded
    assert parse_qs(urlsplit(request.url).query) == {
        "access_token": [TOKEN],
        "timestamp": [str(TS)],
        "sign": [SIGN_B64],
    }
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(request.body)
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "【严重】新问题 · 店铺 shop-a · 仓库 WH-SZ · 联系电话"
    assert body["markdown"]["text"].startswith("### 【严重】新问题")
    assert "- **商家后台**：0755-1234" in body["markdown"]["text"]
    assert body["at"] == {"atMobiles": [], "isAtAll": False}
    assert "仓库".encode() in request.body  # UTF-8, not \\u escapes


@responses.activate
def test_every_send_is_signed_afresh(tmp_path):
    responses.post("https://oapi.dingtalk.com/robot/send", json={"errcode": 0, "errmsg": "ok"})
    times = iter([TS / 1000, TS / 1000 + 61])
    s = sink(tmp_path, clock=lambda: next(times), secret=SECRET)
    s.send(event())
    s.send(event())
    stamps = [parse_qs(urlsplit(c.request.url).query)["timestamp"][0] for c in responses.calls]
    assert stamps == [str(TS), str(TS + 61000)]
    assert parse_qs(urlsplit(responses.calls[1].request.url).query)["sign"] == [sign(SECRET, TS + 61000)]


@responses.activate
def test_without_a_secret_the_url_is_sent_as_configured(tmp_path):
    responses.post("https://oapi.dingtalk.com/robot/send", json={"errcode": 0, "errmsg": "ok"})
    sink(tmp_path).send(event())
    assert responses.calls[0].request.url == URL


@responses.activate
def test_keyword_and_mentions(tmp_path):
    responses.post("https://oapi.dingtalk.com/robot/send", json={"errcode": 0, "errmsg": "ok"})
    sink(tmp_path, keyword="ERP告警", at_mobiles=["13800000000"]).send(event("zh"))
    body = json.loads(responses.calls[0].request.body)
    assert body["markdown"]["title"].startswith("ERP告警 ")
    assert body["markdown"]["text"].startswith("ERP告警 ")
    assert body["markdown"]["text"].endswith("@13800000000")
    assert body["at"]["atMobiles"] == ["13800000000"]


@pytest.mark.parametrize(
    ("answer", "error", "code"),
    [
        ({"errcode": 310000, "errmsg": "sign not match"}, PermanentError, 310000),
        ({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}, TemporaryError, 130101),
        ({"errcode": -1, "errmsg": "系统繁忙"}, TemporaryError, -1),
        ({"errcode": 300001, "errmsg": "token is not exist"}, PermanentError, 300001),
        ({"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}, PermanentError, 460101),
    ],
)
@responses.activate
def test_body_codes_are_classified_and_never_quote_secrets(tmp_path, answer, error, code):
    # The channel echoing the token must not carry it into the error either.
    answer = {**answer, "errmsg": f"{answer['errmsg']} access_token={TOKEN}"}
    responses.post("https://oapi.dingtalk.com/robot/send", json=answer)
    with pytest.raises(error) as caught:
        sink(tmp_path, secret=SECRET).send(event())
    assert type(caught.value) is error
    assert caught.value.code == code
    text = str(caught.value)
    assert TOKEN not in text and SECRET not in text and SIGN_QUERY not in text
    assert "oapi.dingtalk.com" in text and "dingtalk" in text
    if code == 130101:
        assert caught.value.retry_after == 600
    if code == -1:
        assert caught.value.retry_after == 60


@responses.activate
def test_http_errors(tmp_path):
    responses.post("https://oapi.dingtalk.com/robot/send", status=503, body="busy")
    with pytest.raises(TemporaryError):
        sink(tmp_path).send(event())
    responses.replace(responses.POST, "https://oapi.dingtalk.com/robot/send", status=429, headers={"Retry-After": "7"})
    with pytest.raises(TemporaryError) as caught:
        sink(tmp_path).send(event())
    assert caught.value.retry_after == 7
    responses.replace(responses.POST, "https://oapi.dingtalk.com/robot/send", status=404, body="not found")
    with pytest.raises(PermanentError):
        sink(tmp_path).send(event())
    responses.replace(responses.POST, "https://oapi.dingtalk.com/robot/send", status=200, body="<html>portal</html>")
    with pytest.raises(TemporaryError, match="without errcode"):
        sink(tmp_path).send(event())


@pytest.mark.parametrize(
    "failure", [requests.ConnectTimeout("t"), requests.ReadTimeout("t"), requests.ConnectionError("c")]
)
@responses.activate
def test_timeouts_and_connection_errors_are_temporary_and_name_only_the_host(tmp_path, failure):
    responses.post("https://oapi.dingtalk.com/robot/send", body=failure)
    with pytest.raises(TemporaryError) as caught:
        sink(tmp_path, secret=SECRET).send(event())
    assert TOKEN not in str(caught.value)
    assert "oapi.dingtalk.com" in str(caught.value)


@responses.activate
def test_digest_is_one_message_within_the_limit(tmp_path):
    responses.post("https://oapi.dingtalk.com/robot/send", json={"errcode": 0, "errmsg": "ok"})
    sink(tmp_path).send_digest(burst(100, "zh"))
    assert len(responses.calls) == 1
    body = json.loads(responses.calls[0].request.body)
    assert body["markdown"]["title"] == "erpsync：100 条告警（新问题 34，已解决 33，提醒 33）"
    text = body["markdown"]["text"]
    assert len(text.encode("utf-8")) <= 20000
    assert "**店铺 shop-0（34）**" in text and "**店铺 shop-2（33）**" in text


@pytest.mark.parametrize("options", [{}, {"keyword": "告警", "at_mobiles": ["13800000000", "13900000000"]}])
@responses.activate
def test_a_text_of_newlines_and_quotes_keeps_the_whole_body_within_20000_bytes(tmp_path, options):
    """DingTalk counts the JSON body (460101 over 20000 bytes), where a newline or a quote is two bytes."""
    responses.post("https://oapi.dingtalk.com/robot/send", json={"errcode": 0, "errmsg": "ok"})
    noisy = '"引号"\n' * 4000 + "end"  # 10 bytes of text, 12 in JSON, 40 000 in all
    sink(tmp_path, secret=SECRET, **options).send(event("zh", message=noisy))
    sent = responses.calls[0].request.body
    assert 19_900 <= len(sent) <= 20_000  # within the limit, and not cut far below it
    text = json.loads(sent)["markdown"]["text"]
    assert "…（已截断）" in text
    for mobile in options.get("at_mobiles", []):
        assert f"@{mobile}" in text


@responses.activate
def test_a_digest_of_many_quoted_lines_keeps_the_whole_body_within_20000_bytes(tmp_path):
    responses.post("https://oapi.dingtalk.com/robot/send", json={"errcode": 0, "errmsg": "ok"})
    quoted = '仓库 "WH" 的 C:\\电话\\ 不一致\n' * 3  # a quote, a backslash, a newline: two bytes each
    sink(tmp_path).send_digest([replace(e, message=quoted) for e in burst(400, "zh")])
    sent = responses.calls[0].request.body
    assert len(sent) <= 20_000
    assert "未列出" in json.loads(sent)["markdown"]["text"]  # the "N more" line survives the cut


def test_registered_as_a_built_in_with_its_limit_and_secrets():
    registry = build_registry(get_plugin_manager(entrypoints=False))
    cls = registry.alert_sinks["dingtalk"]
    assert cls is DingTalkSink
    assert cls.rate_limit == (20, 60.0)
    assert cls.secret_options == ("url", "secret")


def test_a_secret_must_be_a_sec_secret(tmp_path):
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        DingTalkOptions().load({"url": URL, "secret": "not-a-dingtalk-secret"})

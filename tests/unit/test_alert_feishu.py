"""The Feishu/Lark sink against ``responses``: signed body, rich text, 20 KB, answer codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
import requests
import responses
from alert_samples import burst, event

from erpsync.core.errors import PermanentError, TemporaryError
from erpsync.plugins.alerts.feishu import FeishuOptions, FeishuSink, sign
from erpsync.plugins.manager import build_registry, get_plugin_manager

HOOK = "0f6a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
URL = f"https://open.feishu.cn/open-apis/bot/v2/hook/{HOOK}"
LARK_URL = f"https://open.larksuite.com/open-apis/bot/v2/hook/{HOOK}"
SECRET = "erpsync-feishu-test-secret"
TS = 1700000000
#: computed independently of erpsync, in a shell:
#:   python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(
#:   b"1700000000\nerpsync-feishu-test-secret", b"", hashlib.sha256).digest()).decode())'
SIGN = "A3FOf7xM9+m3a7j67jl3SyuULgBfMbDrjhBkCtRD7R8="
OK = {"code": 0, "msg": "success", "data": {}}


def sink(tmp_path, url=URL, **options):
    return FeishuSink(FeishuOptions().load({"url": url, **options}), base_dir=tmp_path, clock=lambda: TS + 0.9)


def test_sign_follows_the_formula_and_matches_a_fixed_vector():
    by_formula = base64.b64encode(hmac.new(f"{TS}\n{SECRET}".encode(), b"", hashlib.sha256).digest()).decode()
    assert sign(SECRET, TS) == by_formula == SIGN


@responses.activate
def test_send_posts_a_signed_rich_text_body(tmp_path):
    responses.post(URL, json=OK)
    assert sink(tmp_path, secret=SECRET).send(event("zh")) == "code 0 success"
    request = responses.calls[0].request
    assert request.url == URL
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(request.body)
    assert body["timestamp"] == str(TS) and body["sign"] == SIGN
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == "【严重】新问题 · 店铺 shop-a · 仓库 WH-SZ · 联系电话"
    lines = [p[0]["text"] for p in post["content"]]
    assert "商家后台：0755-1234" in lines and "ERP：0755-9999" in lines
    assert "1. 打开商家后台 > 仓库管理，改正联系电话" in lines


@responses.activate
def test_lark_host_english_and_no_secret(tmp_path):
    responses.post(LARK_URL, json=OK)
    sink(tmp_path, url=LARK_URL).send(event("en"))
    body = json.loads(responses.calls[0].request.body)
    assert "sign" not in body and "timestamp" not in body
    assert body["content"]["post"]["en_us"]["title"].startswith("[Critical] New drift")


@responses.activate
def test_text_type_and_keyword(tmp_path):
    responses.post(URL, json=OK)
    sink(tmp_path, msg_type="text", keyword="告警").send(event("zh"))
    body = json.loads(responses.calls[0].request.body)
    assert body["msg_type"] == "text"
    assert body["content"]["text"].startswith("告警 【严重】新问题")


@responses.activate
def test_older_status_code_answer_is_read(tmp_path):
    responses.post(URL, json={"Extra": None, "StatusCode": 0, "StatusMessage": "success"})
    assert sink(tmp_path).send(event()) == "code 0 success"


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        (19021, 200, PermanentError),
        (19022, 200, PermanentError),
        (19024, 200, PermanentError),
        (9499, 400, PermanentError),
        (11232, 200, TemporaryError),
        (11232, 429, TemporaryError),
        (12345, 200, PermanentError),
    ],
)
@responses.activate
def test_answer_codes_are_classified_before_the_status(tmp_path, code, status, error):
    responses.post(URL, json={"code": code, "msg": f"failed {URL}"}, status=status)
    with pytest.raises(error) as caught:
        sink(tmp_path, secret=SECRET).send(event())
    assert type(caught.value) is error
    assert caught.value.code == code
    assert HOOK not in str(caught.value) and SECRET not in str(caught.value)
    assert "open.feishu.cn" in str(caught.value)


@pytest.mark.parametrize(
    ("said", "error"),
    [("too many request", TemporaryError), ("Too Many Requests", TemporaryError), ("params error", PermanentError)],
)
@responses.activate
def test_a_9499_for_sending_too_fast_is_retried_later(tmp_path, said, error):
    """A burst to one bot has been answered HTTP 400 ``{"code": 9499, "msg": "too many request"}``
    (github.com/ccfos/nightingale issue 1437): the bot's limit, not a bad request."""
    responses.post(URL, json={"code": 9499, "msg": said, "data": {}}, status=400)
    with pytest.raises(error) as caught:
        sink(tmp_path).send(event())
    assert type(caught.value) is error


@responses.activate
def test_the_gateway_s_rate_limit_code_is_retried_after_its_reset(tmp_path):
    """Feishu's rate-limit guide: HTTP 429, code 99991400, the wait in ``x-ogw-ratelimit-reset``."""
    body = {"code": 99991400, "msg": "request trigger frequency limit"}
    responses.post(URL, json=body, status=429, headers={"x-ogw-ratelimit-reset": "52"})
    with pytest.raises(TemporaryError) as caught:
        sink(tmp_path).send(event())
    assert caught.value.retry_after == 52


@responses.activate
def test_http_errors_without_a_code(tmp_path):
    responses.post(URL, status=429, headers={"Retry-After": "3"}, body="slow down")
    with pytest.raises(TemporaryError) as caught:
        sink(tmp_path).send(event())
    assert caught.value.retry_after == 3
    responses.replace(responses.POST, URL, status=502, body="bad gateway")
    with pytest.raises(TemporaryError):
        sink(tmp_path).send(event())
    responses.replace(responses.POST, URL, status=403, body="forbidden")
    with pytest.raises(PermanentError):
        sink(tmp_path).send(event())


@pytest.mark.parametrize("failure", [requests.ReadTimeout("t"), requests.ConnectionError("c")])
@responses.activate
def test_timeouts_are_temporary(tmp_path, failure):
    responses.post(URL, body=failure)
    with pytest.raises(TemporaryError) as caught:
        sink(tmp_path).send(event())
    assert HOOK not in str(caught.value)


@responses.activate
def test_a_long_message_is_cut_to_20_kb(tmp_path):
    responses.post(URL, json=OK)
    sink(tmp_path, secret=SECRET).send(event("zh", message="仓库地址不一致" * 3000))
    request = responses.calls[0].request
    assert len(request.body) <= 20_000
    texts = [p[0]["text"] for p in json.loads(request.body)["content"]["post"]["zh_cn"]["content"]]
    assert texts[-1].endswith("…（已截断）")


@responses.activate
def test_digest_is_one_post_listing_every_alert(tmp_path):
    responses.post(URL, json=OK)
    sink(tmp_path).send_digest(burst(30))
    assert len(responses.calls) == 1
    request = responses.calls[0].request
    post = json.loads(request.body)["content"]["post"]["en_us"]
    assert post["title"] == "erpsync: 30 alerts (10 new, 10 resolved, 10 reminders)"
    lines = [p[0]["text"] for p in post["content"]]
    assert sum(line.startswith("- ") for line in lines) == 30
    assert "shop-1 (10)" in lines


def test_registered_with_its_limit_and_secrets():
    cls = build_registry(get_plugin_manager(entrypoints=False)).alert_sinks["feishu"]
    assert cls is FeishuSink and cls.rate_limit == (5, 1.0) and cls.extra_rate_limits == ((100, 60.0),)
    assert cls.secret_options == ("url", "secret")

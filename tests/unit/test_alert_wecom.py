"""The WeCom sink against ``responses``: markdown with colour, text with mentions, byte limits, errcodes."""

from __future__ import annotations

import json

import pytest
import requests
import responses
from alert_samples import burst, event
from marshmallow import ValidationError

from erpsync.core.errors import PermanentError, TemporaryError
from erpsync.plugins.alerts.wecom import WeComOptions, WeComSink
from erpsync.plugins.manager import build_registry, get_plugin_manager

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
URL = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"
OK = {"errcode": 0, "errmsg": "ok"}


def sink(tmp_path, **options):
    return WeComSink(WeComOptions().load({"url": URL, **options}), base_dir=tmp_path)


@responses.activate
def test_critical_markdown_is_coloured(tmp_path):
    responses.post(URL, json=OK)
    assert sink(tmp_path).send(event("zh")) == "errcode 0 ok"
    request = responses.calls[0].request
    assert request.url == URL
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(request.body)
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith('### <font color="warning">【严重】新问题 · 店铺 shop-a · 仓库 WH-SZ · 联系电话</font>')
    assert "- **商家后台**：0755-1234" in content and "1. 打开商家后台" in content


@responses.activate
def test_a_warning_is_not_coloured(tmp_path):
    responses.post(URL, json=OK)
    sink(tmp_path).send(event("en", severity="warning"))
    assert json.loads(responses.calls[0].request.body)["markdown"]["content"].startswith("### [Warning] New drift")


@responses.activate
def test_mentions_select_text_with_the_mobile_list(tmp_path):
    responses.post(URL, json=OK)
    sink(tmp_path, mentioned_mobile_list=["13800000000", "@all"]).send(event("zh"))
    body = json.loads(responses.calls[0].request.body)
    assert body["msgtype"] == "text"
    assert body["text"]["mentioned_mobile_list"] == ["13800000000", "@all"]
    assert body["text"]["content"].startswith("【严重】新问题")


def test_mentions_with_markdown_are_refused():
    with pytest.raises(ValidationError, match="text messages only"):
        WeComOptions().load({"url": URL, "msgtype": "markdown", "mentioned_mobile_list": ["13800000000"]})


@responses.activate
def test_byte_limits_markdown_4096_text_2048(tmp_path):
    responses.post(URL, json=OK)
    long = event("zh", message="联系电话不一致" * 1000)
    sink(tmp_path).send(long)
    sink(tmp_path, msgtype="text").send(long)
    markdown = json.loads(responses.calls[0].request.body)["markdown"]["content"]
    text = json.loads(responses.calls[1].request.body)["text"]["content"]
    assert len(markdown.encode("utf-8")) <= 4096 and markdown.endswith("…（已截断）")
    assert len(text.encode("utf-8")) <= 2048 and text.endswith("…（已截断）")


@pytest.mark.parametrize(
    ("code", "error"), [(45009, TemporaryError), (-1, TemporaryError), (93000, PermanentError), (40058, PermanentError)]
)
@responses.activate
def test_errcodes(tmp_path, code, error):
    responses.post(URL, json={"errcode": code, "errmsg": f"failed, key {KEY}"})
    with pytest.raises(error) as caught:
        sink(tmp_path).send(event())
    assert type(caught.value) is error and caught.value.code == code
    assert KEY not in str(caught.value) and "qyapi.weixin.qq.com" in str(caught.value)
    if code in (45009, -1):  # rate limited; "系统繁忙", busy
        assert caught.value.retry_after == 60


@responses.activate
def test_http_errors_and_timeouts(tmp_path):
    responses.post(URL, status=500, body="oops")
    with pytest.raises(TemporaryError):
        sink(tmp_path).send(event())
    responses.replace(responses.POST, URL, status=429, headers={"Retry-After": "11"})
    with pytest.raises(TemporaryError) as caught:
        sink(tmp_path).send(event())
    assert caught.value.retry_after == 11
    responses.replace(responses.POST, URL, body=requests.ConnectTimeout("t"))
    with pytest.raises(TemporaryError) as caught:
        sink(tmp_path).send(event())
    assert KEY not in str(caught.value)


@responses.activate
def test_digest_markdown_fits_4096_bytes(tmp_path):
    responses.post(URL, json=OK)
    sink(tmp_path).send_digest(burst(100, "zh"))
    assert len(responses.calls) == 1
    content = json.loads(responses.calls[0].request.body)["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert content.startswith("### erpsync：100 条告警")
    assert "条未列出" in content.splitlines()[-1]


def test_registered_with_its_limit_and_secrets():
    cls = build_registry(get_plugin_manager(entrypoints=False)).alert_sinks["wecom"]
    assert cls is WeComSink and cls.rate_limit == (20, 60.0) and cls.secret_options == ("url",)

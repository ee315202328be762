"""The Slack sink against ``responses``: mrkdwn blocks, "ok", HTTP errors with Retry-After."""

from __future__ import annotations

import json

import pytest
import requests
import responses
from alert_samples import burst, event

from erpsync.core.errors import PermanentError, TemporaryError
from erpsync.plugins.alerts.slack import SlackOptions, SlackSink, escape
from erpsync.plugins.manager import build_registry, get_plugin_manager

PATH = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
URL = f"https://hooks.slack.com{PATH}"


def sink(tmp_path):
    return SlackSink(SlackOptions().load({"url": URL}), base_dir=tmp_path)


@responses.activate
def test_send_posts_text_and_a_mrkdwn_section(tmp_path):
    responses.post(URL, body="ok")
    assert sink(tmp_path).send(event("en", message="a < b & c > d")) == "ok"
    request = responses.calls[0].request
    assert request.url == URL
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(request.body)
    assert body["text"] == "[Critical] New drift · shop-a · warehouse WH-SZ · phone"
    [block] = body["blocks"]
    assert block["type"] == "section" and block["text"]["type"] == "mrkdwn"
    text = block["text"]["text"]
    assert text.startswith("*[Critical] New drift · shop-a · warehouse WH-SZ · phone*\na &lt; b &amp; c &gt; d")
    assert "*Seller Center*: 0755-1234" in text and "*ERP*: 0755-9999" in text
    assert "*What to do*\n1. Open Seller Center &gt; Warehouses" in text


@responses.activate
def test_chinese(tmp_path):
    responses.post(URL, body="ok")
    sink(tmp_path).send(event("zh"))
    text = json.loads(responses.calls[0].request.body)["blocks"][0]["text"]["text"]
    assert "*商家后台*：0755-1234" in text and "*处理步骤*" in text


@pytest.mark.parametrize(
    ("status", "answer", "error"),
    [
        (400, "invalid_payload", PermanentError),
        (403, "action_prohibited", PermanentError),
        (404, "channel_not_found", PermanentError),
        (410, "channel_is_archived", PermanentError),
        (500, "rollup_error", TemporaryError),
    ],
)
@responses.activate
def test_error_answers(tmp_path, status, answer, error):
    responses.post(URL, status=status, body=answer)
    with pytest.raises(error) as caught:
        sink(tmp_path).send(event())
    assert type(caught.value) is error and caught.value.status == status
    assert answer in str(caught.value)
    assert "XXXXXXXXXXXXXXXXXXXXXXXX" not in str(caught.value) and PATH not in str(caught.value)
    assert "hooks.slack.com" in str(caught.value)


@responses.activate
def test_429_honours_retry_after(tmp_path):
    responses.post(URL, status=429, headers={"Retry-After": "30"}, body="rate_limited")
    with pytest.raises(TemporaryError) as caught:
        sink(tmp_path).send(event())
    assert caught.value.retry_after == 30


@pytest.mark.parametrize("failure", [requests.ReadTimeout("t"), requests.ConnectionError("c")])
@responses.activate
def test_timeouts_are_temporary(tmp_path, failure):
    responses.post(URL, body=failure)
    with pytest.raises(TemporaryError) as caught:
        sink(tmp_path).send(event())
    assert PATH not in str(caught.value)


@responses.activate
def test_digest_is_one_section_under_3000(tmp_path):
    responses.post(URL, body="ok")
    sink(tmp_path).send_digest(burst(100))
    assert len(responses.calls) == 1
    body = json.loads(responses.calls[0].request.body)
    assert body["text"] == "erpsync: 100 alerts (34 new, 33 resolved, 33 reminders)"
    text = body["blocks"][0]["text"]["text"]
    assert len(text) <= 3000
    assert "more not listed" in text.splitlines()[-1]


def test_escape():
    assert escape("<@U1> & co") == "&lt;@U1&gt; &amp; co"


def test_registered_with_its_limit_and_secrets():
    cls = build_registry(get_plugin_manager(entrypoints=False)).alert_sinks["slack"]
    assert cls is SlackSink and cls.rate_limit == (1, 1.0) and cls.secret_options == ("url",)

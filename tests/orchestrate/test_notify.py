"""Notifications against a real HTTP server on 127.0.0.1: payload, retries, never raising."""

from __future__ import annotations

import pytest

from flightprice.orchestrate.notify import message, notify


@pytest.fixture
def hook_settings(settings, webhook):
    return settings.model_copy(update={"notify_webhook_url": webhook.url})


def test_posts_slack_compatible_json(hook_settings, webhook):
    assert notify(hook_settings, "batch scoring done", "3,293 flights priced", "success") is True
    assert webhook.received == [
        {"text": ":white_check_mark: *batch scoring done*\n3,293 flights priced"}
    ]


def test_retries_server_errors_then_delivers(hook_settings, webhook):
    webhook.statuses = [503, 500]
    assert notify(hook_settings, "x", status="failure", backoff_seconds=0.01) is True
    assert len(webhook.received) == 3
    assert webhook.received[-1]["text"].startswith(":x: *x*")


def test_gives_up_on_a_client_error_without_retrying(hook_settings, webhook):
    webhook.statuses = [404]
    assert notify(hook_settings, "x", backoff_seconds=0.01) is False
    assert len(webhook.received) == 1


def test_never_raises_when_the_webhook_is_down(settings):
    down = settings.model_copy(update={"notify_webhook_url": "http://127.0.0.1:9/hook"})
    assert notify(down, "x", retries=2, backoff_seconds=0.01) is False
    bad = settings.model_copy(update={"notify_webhook_url": "not a url"})
    assert notify(bad, "x", retries=0) is False


def test_is_a_no_op_without_a_url(settings):
    assert settings.notify_webhook_url is None
    assert notify(settings, "x") is False


def test_message_without_body_is_the_subject():
    assert message("deploy", "", "info") == {"text": ":information_source: *deploy*"}


def test_sends_through_apprise_urls_too(settings, webhook):
    # Apprise's json:// scheme posts {"title", "message", "type"} to the same real receiver.
    url = webhook.url.replace("http://", "json://")
    both = settings.model_copy(update={"notify_apprise_urls": url})
    assert notify(both, "daily failed", "dbt facts failed", "failure") is True
    assert len(webhook.received) == 1
    sent = webhook.received[0]
    assert sent["title"] == "daily failed" and sent["message"] == "dbt facts failed"
    assert sent["type"] == "failure"


def test_a_bad_apprise_url_is_not_delivered_and_does_not_raise(settings):
    bad = settings.model_copy(update={"notify_apprise_urls": "nonsense://x"})
    assert notify(bad, "x") is False

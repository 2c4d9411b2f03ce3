"""Alerts: signed webhooks and e-mail, retries with back-off, exactly once per new event and status change."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from scrapy.settings import Settings

from crawler.events.alerts import EmailChannel, WebhookChannel, payload, sign
from crawler.events.cluster import ClusterConfig
from crawler.events.dispatch import AlertConfig, AlertDispatcher, deliver_pending
from crawler.events.store import FAILED, PENDING, SENT, EventStore, open_event_store
from tests.events.conftest import SECRET
from tests.events.servers import SmtpServer, WebhookReceiver
from tests.events.test_cluster import art

if TYPE_CHECKING:
    from collections.abc import Iterator

CONFIG = ClusterConfig()
NOW = datetime.now(UTC)  # alerts older than ALERT_MAX_AGE are given up


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    opened = open_event_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        yield opened
    finally:
        opened.close()


def alert_config(**overrides: object) -> AlertConfig:
    values: dict[str, object] = {"secret": SECRET, "timeout": 5.0, "retries": 2, "backoff": 0.5, "poll": 0.2}
    values.update(overrides)
    return AlertConfig(**values)  # type: ignore[arg-type]


def block_then_lift(store: EventStore) -> None:
    store.place(art("b", "2024-08-02", "TR", ["Instagram"], ["block"], "Turkey blocks Instagram", ("BTK",)), CONFIG, NOW,
                alerts=True)
    store.place(art("b2", "2024-08-03", "TR", ["Instagram"], ["block"]), CONFIG, NOW, alerts=True)
    store.place(art("l", "2024-08-10", "TR", ["Instagram"], ["unblock"], "Turkey lifts Instagram ban"), CONFIG, NOW,
                alerts=True)


def test_webhooks_get_each_alert_once_signed(store: EventStore, receiver: WebhookReceiver) -> None:
    config = alert_config(webhooks=[receiver.url])
    block_then_lift(store)
    assert deliver_pending(store, config.channels(), config) == {SENT: 2, FAILED: 0, PENDING: 0}
    assert deliver_pending(store, config.channels(), config) == {SENT: 0, FAILED: 0, PENDING: 0}  # a re-run
    assert len(receiver.deliveries) == 2
    assert all(d.signature_ok for d in receiver.deliveries)
    new, change = (d.payload for d in receiver.deliveries)
    assert (new["type"], new["status"], new["previous_status"]) == ("new_event", "in_force", None)
    assert (change["type"], change["status"], change["previous_status"]) == ("status_change", "lifted", "in_force")
    assert new["event_id"] == change["event_id"] == new["event"]["event_id"]
    assert change["event"]["title"] == "Turkey lifts Instagram ban"
    first = receiver.deliveries[0]
    assert first.headers["X-Blockradar-Event"] == "new_event"
    assert first.headers["X-Blockradar-Delivery"] == f"{new['event_id']}:in_force"
    assert first.headers["Content-Type"].startswith("application/json")


def test_the_signature_is_hmac_sha256_of_the_body() -> None:
    body = b'{"type": "new_event"}'
    assert sign(body, "key") == "sha256=d5ac67be584d0c90ca2447207596d0f0762ab7d788cd4dd3b19fec9160a05b82"


def test_transient_failures_are_retried_with_back_off(store: EventStore) -> None:
    waits: list[float] = []
    with WebhookReceiver(SECRET, statuses=[503, 500]) as flaky:
        config = alert_config(webhooks=[flaky.url])
        store.place(art("b", "2024-08-02", "TR", ["Instagram"], ["block"]), CONFIG, NOW, alerts=True)
        assert deliver_pending(store, config.channels(), config, sleep=waits.append)[SENT] == 1
    assert waits == [0.5, 1.0]
    assert flaky.attempts == 3 and len(flaky.deliveries) == 1


def test_an_unreachable_webhook_keeps_the_alert_pending_then_gives_up(store: EventStore) -> None:
    with WebhookReceiver(SECRET, statuses=[500] * 4) as down:
        config = alert_config(webhooks=[down.url], retries=2, poll=0.01)
        store.place(art("b", "2024-08-02", "TR", ["Instagram"], ["block"]), CONFIG, NOW, alerts=True)
        assert deliver_pending(store, config.channels(), config, sleep=lambda s: None)[PENDING] == 1
        (alert,) = store.alerts()
        assert (alert.state, alert.attempts, alert.delivered) == (PENDING, 1, [])
        time.sleep(0.05)  # the pending alert's hold (ALERT_POLL)
        old = alert_config(webhooks=[down.url], retries=0, max_age=0.0)
        assert deliver_pending(store, old.channels(), old)[FAILED] == 1
        assert store.alerts()[0].state == FAILED


def test_a_refused_alert_fails_at_once(store: EventStore) -> None:
    with WebhookReceiver(SECRET, statuses=[410]) as gone:
        config = alert_config(webhooks=[gone.url])
        store.place(art("b", "2024-08-02", "TR", ["Instagram"], ["block"]), CONFIG, NOW, alerts=True)
        assert deliver_pending(store, config.channels(), config, sleep=lambda s: None)[FAILED] == 1
        assert gone.attempts == 1


def test_a_channel_that_has_an_alert_never_gets_it_again(store: EventStore, receiver: WebhookReceiver) -> None:
    with WebhookReceiver(SECRET, statuses=[500]) as flaky:
        config = alert_config(webhooks=[receiver.url, flaky.url], retries=0, poll=0.01)
        store.place(art("b", "2024-08-02", "TR", ["Instagram"], ["block"]), CONFIG, NOW, alerts=True)
        assert deliver_pending(store, config.channels(), config) == {SENT: 0, FAILED: 0, PENDING: 1}
        time.sleep(0.05)
        assert deliver_pending(store, config.channels(), config)[SENT] == 1
        assert len(receiver.deliveries) == 1 and len(flaky.deliveries) == 1


def test_email_alerts_through_smtp(store: EventStore, smtp: SmtpServer) -> None:
    config = alert_config(smtp_url=smtp.url, email_from="radar@example.org", email_to=["desk@example.org", "b@example.org"])
    block_then_lift(store)
    assert deliver_pending(store, config.channels(), config)[SENT] == 2
    assert len(smtp.mails) == 2
    mail = smtp.mails[1]
    assert mail.sender == "radar@example.org" and mail.recipients == ["desk@example.org", "b@example.org"]
    assert mail.message["Subject"].startswith("[blockradar] [TR] in_force -> lifted")
    text = mail.message.get_content()
    assert "Turkey lifts Instagram ban" in text and "https://news.example/l" in text


def test_the_dispatcher_delivers_in_the_background_and_on_close(tmp_path: Path, receiver: WebhookReceiver) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    config = alert_config(webhooks=[receiver.url], poll=30.0)
    store = open_event_store(url)
    dispatcher = AlertDispatcher(lambda: open_event_store(url), config)
    dispatcher.start()
    try:
        store.place(art("b", "2024-08-02", "TR", ["Instagram"], ["block"]), CONFIG, NOW, alerts=True)
        store.place(art("c", "2024-08-02", "BR", ["X (Twitter)"], ["block"]), CONFIG, NOW, alerts=True)
        dispatcher.notify()
    finally:
        assert dispatcher.close(timeout=10)
        store.close()
    assert len(receiver.deliveries) == 2


@pytest.mark.parametrize(("settings", "message"), [
    ({"ALERT_WEBHOOKS": "ftp://example.org/hook"}, "ALERT_WEBHOOKS"),
    ({"ALERT_SMTP_URL": "mail.example.org"}, "ALERT_SMTP_URL"),
    ({"ALERT_SMTP_URL": "smtp://mail.example.org"}, "ALERT_EMAIL_FROM"),
    ({"ALERT_TIMEOUT": "0"}, "ALERT_TIMEOUT"),
])
def test_bad_alert_settings_name_the_setting(settings: dict[str, str], message: str) -> None:
    values = Settings()
    values.setmodule("crawler.settings")
    values.update(settings)
    with pytest.raises(ValueError, match=message):
        AlertConfig.from_settings(values)


def test_settings_from_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    values = Settings()
    values.setmodule("crawler.settings")
    values.update({"ALERT_WEBHOOKS": "http://a.example/x, http://b.example/y", "ALERT_EMAIL_TO": "a@x.org,b@x.org"})
    monkeypatch.setenv("BLOCKRADAR_ALERT_WEBHOOK_SECRET", "from-env")
    config = AlertConfig.from_settings(values)
    assert config.webhooks == ["http://a.example/x", "http://b.example/y"]
    assert config.email_to == ["a@x.org", "b@x.org"] and config.secret == "from-env" and config.enabled
    assert not AlertConfig().enabled


def test_channel_ids_hold_no_secret() -> None:
    hook = WebhookChannel("https://hooks.example/T0KEN?key=secret", "s")
    mail = EmailChannel("smtp://user:pass@mail.example:2525", "a@x.org", ["b@x.org"])
    assert "secret" not in hook.id and "pass" not in mail.id and (mail.host, mail.port) == ("mail.example", 2525)
    assert (mail.username, mail.password) == ("user", "pass")


def test_payload_is_json_of_the_event(store: EventStore) -> None:
    store.place(art("b", "2024-08-02", "TR", ["Instagram"], ["block"]), CONFIG, NOW, alerts=True)
    (alert,) = store.alerts()
    body = json.loads(json.dumps(payload(alert)))
    assert body["alert_id"] == alert.key and body["event"]["article_ids"] == ["b"]

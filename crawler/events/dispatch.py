"""Deliver the alert outbox: each pending alert to each configured channel that does not have it yet.

An alert is claimed (a lease, so two crawls never send it at once), sent through every channel still missing it,
and saved: ``sent`` when every channel has it, ``failed`` when a channel refused it for good or it stayed undelivered
for ``ALERT_MAX_AGE`` seconds, else still ``pending`` for the next pass. A channel that has an alert is recorded, so
a re-run (or a retry after another channel failed) never sends it there again. A process killed between a
successful send and its record sends it once more after the lease: receivers may use ``X-Blockradar-Delivery``.

``AlertDispatcher`` runs the passes in a thread of the crawl (the crawl never waits on a webhook): after each change
that queued an alert, every ``ALERT_POLL`` seconds for alerts left pending, and a last time when the crawl closes.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self

from crawler.events.alerts import Channel, DeliveryError, EmailChannel, WebhookChannel, deliver
from crawler.events.store import FAILED, PENDING, SENT
from crawler.stats import stat_key

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

    from crawler.events.store import EventStore

logger = logging.getLogger(__name__)
SECRET_ENV = "BLOCKRADAR_ALERT_WEBHOOK_SECRET"


@dataclass(frozen=True)
class AlertConfig:
    """Settings ``ALERT_*`` (see crawler/settings.py)."""

    webhooks: list[str] = field(default_factory=list)
    secret: str = ""
    smtp_url: str = ""
    email_from: str = ""
    email_to: list[str] = field(default_factory=list)
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 1.0
    max_age: float = 86400.0
    poll: float = 60.0

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        config = cls(
            webhooks=[u.strip() for u in settings.getlist("ALERT_WEBHOOKS") if u.strip()],
            secret=settings.get("ALERT_WEBHOOK_SECRET") or os.environ.get(SECRET_ENV, ""),
            smtp_url=(settings.get("ALERT_SMTP_URL") or "").strip(),
            email_from=(settings.get("ALERT_EMAIL_FROM") or "").strip(),
            email_to=[a.strip() for a in settings.getlist("ALERT_EMAIL_TO") if a.strip()],
            timeout=settings.getfloat("ALERT_TIMEOUT"), retries=settings.getint("ALERT_RETRIES"),
            backoff=settings.getfloat("ALERT_RETRY_BACKOFF"), max_age=settings.getfloat("ALERT_MAX_AGE"),
            poll=settings.getfloat("ALERT_POLL"),
        )
        if config.timeout <= 0 or config.retries < 0 or config.backoff < 0 or config.poll <= 0:
            raise ValueError("ALERT_TIMEOUT and ALERT_POLL must be positive, ALERT_RETRIES and ALERT_RETRY_BACKOFF "
                             "not negative")
        config.channels()  # bad URLs stop the crawl here, not at the first alert
        return config

    @property
    def enabled(self) -> bool:
        return bool(self.webhooks or self.smtp_url)

    def channels(self) -> list[Channel]:
        """The configured channels (ValueError naming the setting when one is malformed)."""
        found: list[Channel] = [WebhookChannel(url, self.secret, self.timeout) for url in self.webhooks]
        if self.smtp_url:
            found.append(EmailChannel(self.smtp_url, self.email_from, self.email_to, self.timeout))
        return found

    @property
    def lease(self) -> float:
        """Seconds one alert may take through every channel, with every retry."""
        one = (self.retries + 1) * self.timeout + self.backoff * float(2 ** self.retries - 1)
        return float(max(1, len(self.webhooks) + bool(self.smtp_url)) * one + 30.0)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def deliver_pending(store: EventStore, channels: list[Channel], config: AlertConfig,
                    stats: StatsCollector | None = None, sleep: Callable[[float], None] = time.sleep) -> dict[str, int]:
    """One pass over the outbox; returns how many alerts ended ``sent``, ``failed`` or stayed ``pending``."""
    counts = {SENT: 0, FAILED: 0, PENDING: 0}
    owner = _owner()
    seen: set[str] = set()
    while True:
        claimed = store.claim_alerts(owner, time.time(), config.lease, limit=1)
        if not claimed:
            return counts
        alert = claimed[0]
        if alert.key in seen:  # its hold is over already: it waits for the next pass all the same
            store.finish_alert(alert)
            return counts
        seen.add(alert.key)
        alert.attempts += 1
        refused = False
        for channel in channels:
            if channel.id in alert.delivered:
                continue
            try:
                deliver(channel, alert, config.retries, config.backoff, sleep)
                alert.delivered.append(channel.id)
            except DeliveryError as exc:
                refused = refused or exc.permanent
                logger.warning("Alert %(key)s to %(channel)s not delivered: %(error)s",
                               {"key": alert.key, "channel": channel.id, "error": exc})
        missing = [c.id for c in channels if c.id not in alert.delivered]
        too_old = time.time() - alert.created > config.max_age
        alert.state = SENT if not missing else FAILED if refused or too_old else PENDING
        if alert.state == FAILED:
            logger.error("Alert %(key)s given up after %(n)d attempts: not delivered to %(missing)s",
                         {"key": alert.key, "n": alert.attempts, "missing": ", ".join(missing)})
        store.finish_alert(alert, hold=config.poll)  # one left pending waits for the next pass
        counts[alert.state] += 1
        if stats is not None:
            stats.inc_value(stat_key("alerts", alert.state))


class AlertDispatcher:
    """Runs ``deliver_pending`` in a background thread with a store of its own (SQLite connections are per thread)."""

    def __init__(self, open_store: Callable[[], EventStore], config: AlertConfig,
                 stats: StatsCollector | None = None) -> None:
        self.open_store = open_store
        self.config = config
        self.channels = config.channels()
        self.stats = stats
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="blockradar-alerts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        """An alert was queued: deliver soon."""
        self._wake.set()

    def close(self, timeout: float | None = None) -> bool:
        """Deliver what is pending one last time and stop; False when that did not finish within ``timeout``."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        store = self.open_store()
        try:
            while True:
                self._wake.wait(self.config.poll)
                self._wake.clear()
                stopping = self._stopping.is_set()
                try:
                    deliver_pending(store, self.channels, self.config, self.stats)
                except Exception:  # a broken store must not kill alerting for the rest of the crawl
                    logger.exception("Delivering alerts failed")
                if stopping:
                    return
        finally:
            store.close()

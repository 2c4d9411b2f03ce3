"""Alert channels: a JSON POST to webhooks (signed with HMAC-SHA256) and e-mail through an SMTP server.

A webhook receives the payload of ``payload()`` as ``application/json`` with the headers
``X-Blockradar-Event`` (``new_event`` | ``status_change``), ``X-Blockradar-Delivery`` (the alert key, the same on a
retry: use it to ignore repeats) and, when ``ALERT_WEBHOOK_SECRET`` is set, ``X-Blockradar-Signature:
sha256=<hex>``: the HMAC-SHA256 of the exact body bytes with the secret (compare it with ``hmac.compare_digest``).

A failure is *transient* (network error, timeout, HTTP 408/429/5xx, SMTP 4xx) or *permanent* (any other HTTP 4xx,
SMTP 5xx, a redirect): ``deliver`` retries transient ones with back-off, then gives up for this time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable

    from crawler.events.store import Alert

logger = logging.getLogger(__name__)
USER_AGENT = "blockradar-alerts/0.1"
SIGNATURE_HEADER = "X-Blockradar-Signature"


class DeliveryError(Exception):
    """An alert could not be delivered through a channel; ``permanent`` ones are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    """Somewhere alerts go."""

    id: str
    """Stable id (no secret in it): which channels already have an alert is stored by it."""

    def send(self, alert: Alert) -> None:
        """Deliver ``alert`` once; raise DeliveryError."""


def payload(alert: Alert) -> dict[str, Any]:
    """The JSON object an alert sends: what happened and the event as it was then."""
    return {"type": alert.kind, "alert_id": alert.key, "event_id": alert.event_id, "status": alert.status,
            "previous_status": alert.previous_status, "event": alert.event}


def sign(body: bytes, secret: str) -> str:
    """The value of the signature header: ``sha256=`` and the hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def summary(alert: Alert) -> str:
    """One line: '[RU] in force: WhatsApp (registry_removal): Russia removes WhatsApp ...'."""
    event = alert.event
    what = "new event" if alert.kind == "new_event" else f"{alert.previous_status} -> {alert.status}"
    return (f"[{event['country']}] {what}, {event['status'].replace('_', ' ')}: {', '.join(event['platforms'])} "
            f"({event['action']}): {event['title']}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirected webhook is a misconfiguration: its HTTPError is reported


class WebhookChannel:
    """POST the alert's JSON payload to a URL."""

    def __init__(self, url: str, secret: str = "", timeout: float = 10.0) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"ALERT_WEBHOOKS: {url!r} is not an http(s) URL")
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.id = "webhook:" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, alert: Alert) -> None:
        body = json.dumps(payload(alert), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
                   "X-Blockradar-Event": alert.kind, "X-Blockradar-Delivery": alert.key}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(body, self.secret)
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(65536)
        except urllib.error.HTTPError as exc:
            transient = exc.code in (408, 429) or exc.code >= 500
            raise DeliveryError(f"HTTP {exc.code}", permanent=not transient) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from exc


class EmailChannel:
    """Send the alert as a plain-text e-mail: ``smtp://[user:password@]host[:port]`` (``smtps://`` for TLS,
    ``smtp+starttls://`` to upgrade)."""

    def __init__(self, smtp_url: str, sender: str, recipients: list[str], timeout: float = 10.0) -> None:
        parts = urlsplit(smtp_url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
            raise ValueError(f"ALERT_SMTP_URL: {smtp_url!r} is not smtp://host[:port] (or smtps://, smtp+starttls://)")
        if not sender or not recipients:
            raise ValueError("ALERT_SMTP_URL needs ALERT_EMAIL_FROM and ALERT_EMAIL_TO")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.username = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.sender = sender
        self.recipients = recipients
        self.timeout = timeout
        self.id = "email:" + hashlib.sha256(f"{self.host}:{self.port}:{','.join(recipients)}".encode()).hexdigest()[:12]

    def message(self, alert: Alert) -> EmailMessage:
        event = alert.event
        message = EmailMessage()
        message["Subject"] = f"[blockradar] {summary(alert)}"[:200]
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["X-Blockradar-Delivery"] = alert.key
        lines = [summary(alert), "",
                 f"Country: {event['country']}", f"Platforms: {', '.join(event['platforms'])}",
                 f"Status: {event['status']} since {event['status_since']}",
                 f"Seen: {event['first_seen']} .. {event['last_seen']}",
                 f"Authorities: {', '.join(event['authorities']) or '-'}", f"Event id: {event['event_id']}", "",
                 "Articles:"]
        lines += [f"- {a['title']} ({a['source'] or a['domain']}, {a['date'][:10]}) {a['url']}" for a in event["articles"]]
        message.set_content("\n".join(lines) + "\n")
        return message

    def send(self, alert: Alert) -> None:
        try:
            client: smtplib.SMTP
            if self.scheme == "smtps":
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout)
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.scheme == "smtp+starttls":
                    client.starttls()
                if self.username:
                    client.login(self.username, self.password)
                client.send_message(self.message(alert), self.sender, self.recipients)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipients refused: {sorted(exc.recipients)}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:  # OSError covers timeouts
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def deliver(channel: Channel, alert: Alert, retries: int, backoff: float,
            sleep: Callable[[float], None] = time.sleep) -> None:
    """Send through one channel, retrying transient failures ``retries`` times (waits ``backoff``, doubled each
    time). Raises the last DeliveryError."""
    delay = backoff
    for attempt in range(retries + 1):
        try:
            channel.send(alert)
            return
        except DeliveryError as exc:
            if exc.permanent or attempt == retries:
                raise
            logger.info("Alert %(key)s to %(channel)s failed (%(error)s): retrying in %(d).1f s",
                        {"key": alert.key, "channel": channel.id, "error": exc, "d": delay})
            sleep(delay)
            delay *= 2

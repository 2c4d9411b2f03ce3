"""Keep the crawler from being turned against its host (SSRF): links and redirects found through a source may not
lead to loopback, private, link-local, cloud-metadata or other non-public addresses.

AddressGuardMiddleware sees every request, redirects and retries included, before it is sent. It resolves the host
with the resolver Scrapy connects through (and its DNS cache), so the DNS answer decides: a public name that points
at 127.0.0.1 is caught, as are numeric forms such as ``http://2130706433/``. A request is refused when any address
of its host is not public, unless

- the host is the source's own host (any port): a source on a local or intranet address may crawl that host;
- the host name, or the address, is allowed by ``ALLOW_PRIVATE_HOSTS`` (names, addresses or CIDR networks).

Requests no source led to (``scrapy parse URL``, robots.txt of a host already allowed) are the user's own and
pass; a redirect is judged against the host of the request the user made. Only http(s) URLs are fetched.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import CannotResolveHostError, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IResolutionReceiver
from zope.interface import implementer

from crawler.errors import BLOCKED_ADDRESS, ReportedIgnore, count_error
from crawler.stats import stat_key

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from twisted.internet.interfaces import IAddress, IHostResolution

logger = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Instance-metadata endpoints of the big clouds (all non-public anyway; named here for a clearer log line).
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)


class BlockedAddress(ReportedIgnore):
    """A request to a non-public address that the request's source may not reach."""

    kind = BLOCKED_ADDRESS


def normalize_host(host: str) -> str:
    """Lowercase, without a trailing dot or IPv6 brackets."""
    return host.strip().strip("[]").rstrip(".").lower()


def ip_literal(host: str) -> Address | None:
    """The address a host names literally ('127.0.0.1', '::1'), or None for a name."""
    try:
        return ipaddress.ip_address(normalize_host(host).split("%", 1)[0])
    except ValueError:
        return None


def non_public(address: Address) -> str | None:
    """Why an address must not be reached through untrusted links ('loopback', 'private', ...); None if public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return non_public(embedded)
    checks = (
        (address in _METADATA, "cloud metadata"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_unspecified, "unspecified"),
        (address.is_multicast, "multicast"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "not public"),
    )
    return next((reason for hit, reason in checks if hit), None)


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public hosts may be reached anyway (ALLOW_PRIVATE_HOSTS)."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def from_setting(cls, values: Iterable[str]) -> Self:
        """Parse ALLOW_PRIVATE_HOSTS entries: host names, addresses or networks. Raises ValueError on junk."""
        names: set[str] = set()
        networks: list[Network] = []
        for raw in values:
            value = normalize_host(str(raw))
            if not value:
                continue
            try:
                networks.append(ipaddress.ip_network(value, strict=False))
                continue
            except ValueError:
                pass
            if not all(part and part.replace("-", "").replace("_", "").isalnum() for part in value.split(".")):
                raise ValueError(f"ALLOW_PRIVATE_HOSTS: {raw!r} is not a host name, an IP address or a network")
            names.add(value)
        return cls(frozenset(names), tuple(networks))

    def allows_name(self, host: str, own_host: str) -> bool:
        """Whether ``host`` may be reached whatever it resolves to: the source's own host or an allowed name."""
        host = normalize_host(host)
        return host == normalize_host(own_host) or host in self.names

    def refusal(self, addresses: Iterable[Address]) -> str | None:
        """Why these addresses may not be reached ('127.0.0.1 (loopback)'), or None when they may."""
        for address in addresses:
            reason = non_public(address)
            if reason and not any(address in network for network in self.networks if network.version == address.version):
                return f"{address} ({reason})"
        return None


@implementer(IResolutionReceiver)
class _Addresses:
    """Collects the addresses of one name resolution into a Deferred."""

    def __init__(self) -> None:
        self.addresses: list[Address] = []
        self.done: Deferred[list[Address]] = Deferred()

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        pass

    def addressResolved(self, address: IAddress) -> None:
        host = getattr(address, "host", None)
        literal = ip_literal(host) if isinstance(host, str) else None
        if literal is not None:
            self.addresses.append(literal)

    def resolutionComplete(self) -> None:
        self.done.callback(self.addresses)


async def resolve(host: str) -> list[Address]:
    """Every address ``host`` resolves to, through the reactor's name resolver: the one (and the DNS cache) a
    connection uses, so the answer checked is the answer connected to."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    from twisted.internet import reactor  # noqa: PLC0415 - the running reactor

    receiver = _Addresses()
    reactor.nameResolver.resolveHostName(receiver, host, 0)
    return await maybe_deferred_to_future(receiver.done)


class AddressGuardMiddleware:
    """Refuse requests that a source's content (links, redirects) aims at non-public addresses (see the module).

    Priority 50: before RobotsTxtMiddleware (100), so a refused URL costs no robots.txt request either.
    Settings: ``ADDRESS_GUARD_ENABLED`` (True), ``ALLOW_PRIVATE_HOSTS`` ([]).
    """

    def __init__(self, policy: AddressPolicy, stats: StatsCollector | None = None) -> None:
        self.policy = policy
        self.stats = stats
        self._source_hosts: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("ADDRESS_GUARD_ENABLED"):
            raise NotConfigured("ADDRESS_GUARD_ENABLED is off")
        middleware = cls(AddressPolicy.from_setting(settings.getlist("ALLOW_PRIVATE_HOSTS")), crawler.stats)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        """Learn each source's own host (the spider's ``sources``: objects with ``name`` and ``url``)."""
        for source in getattr(spider, "sources", []):
            self._source_hosts[source.name] = url_host(source.url)

    def own_host(self, request: Request) -> str | None:
        """The host this request may reach whatever its address, or None for a request the user made."""
        source = request.meta.get("source")
        if source in self._source_hosts:
            return self._source_hosts[source]
        redirected_from = request.meta.get("redirect_urls")
        if redirected_from:
            return url_host(redirected_from[0])
        return None

    async def process_request(self, request: Request) -> None:
        own = self.own_host(request)
        if own is None:
            return
        parts = urlparse_cached(request)
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https"):
            self._refuse(request, f"{parts.scheme}: URLs are never fetched")
        if self.policy.allows_name(host, own):
            return
        addresses = await resolve(host)
        if not addresses:
            # Fail like the download would, rather than let the connection resolve the name again unchecked.
            raise CannotResolveHostError(f"cannot resolve {host!r}")
        reason = self.policy.refusal(addresses)
        if reason:
            where = reason if ip_literal(host) is not None else f"{host} resolves to {reason}"
            self._refuse(request, f"{where}: not a public address; allow it with ALLOW_PRIVATE_HOSTS")

    def _refuse(self, request: Request, reason: str) -> NoReturn:
        via = request.meta.get("redirect_urls")
        logger.warning(
            "Blocked %(url)s%(via)s (source %(source)s): %(reason)s",
            {"url": request.url, "via": f" (redirected from {via[-1]})" if via else "",
             "source": request.meta.get("source", "-"), "reason": reason},
        )
        count_error(self.stats, BLOCKED_ADDRESS)
        if self.stats is not None:
            self.stats.inc_value(stat_key("security", "blocked"))
        raise BlockedAddress(f"blocked: {request.url}: {reason}")


def url_host(url: str) -> str:
    """The normalized host of a URL ('' when it has none)."""
    try:
        return normalize_host(urlsplit(url).hostname or "")
    except ValueError:
        return ""

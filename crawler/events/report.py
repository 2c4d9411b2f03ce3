"""The events report: one self-contained HTML file (inline CSS and JavaScript, nothing fetched) that opens offline.

A timeline by country and platform (one bar per event from its first to its last article, coloured by status),
then every event with its status, dates, authorities, related events and links to its articles. Everything is
rendered here; the page's script only filters (country, platform, status, action, dates, words), keeping the
filter in the URL fragment: ``report.html#country=RU&status=in_force``.
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from crawler.events.model import STATUSES, parse_time

if TYPE_CHECKING:
    from pathlib import Path

REPORT_NAME = "report.html"
STATUS_LABELS = {"announced": "announced", "in_force": "in force", "lifted": "lifted"}
_MIN_BAR_PERCENT = 0.6


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """English short name of an ISO 3166-1 alpha-2 code ('RU' -> 'Russia'); the code itself when unknown."""
    try:
        import pycountry  # noqa: PLC0415 - optional nicety; the taxonomy already depends on it
    except ImportError:
        return code
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name).replace("Russian Federation", "Russia")


def _asset(name: str) -> str:
    return (resources.files("crawler.events") / "assets" / name).read_text(encoding="utf-8")


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _day(value: str) -> str:
    return parse_time(value).date().isoformat()


def _link(url: str, text: str) -> str:
    """A link only to http(s) URLs (article URLs come from the web)."""
    if url.startswith(("http://", "https://")):
        return f'<a href="{_e(url)}" rel="noopener noreferrer" target="_blank">{_e(text)}</a>'
    return _e(text)


def _data(event: dict[str, Any], platforms: list[str]) -> str:
    """The data-* attributes the page's filters read."""
    words = " ".join([event["title"], *event["authorities"], *event["platforms"], country_name(event["country"])])
    return (f'data-country="{_e(event["country"])}" data-platforms="{_e("|".join(platforms))}" '
            f'data-status="{_e(event["status"])}" data-actions="{_e("|".join(event["actions"]))}" '
            f'data-first="{_day(event["first_seen"])}" data-last="{_day(event["last_seen"])}" '
            f'data-text="{_e(words.lower())}"')


def _options(values: list[tuple[str, str]], label: str) -> str:
    return "".join([f'<option value="">{_e(label)}</option>'] +
                   [f'<option value="{_e(v)}">{_e(text)}</option>' for v, text in values])


def _filters(events: list[dict[str, Any]]) -> str:
    countries = sorted({e["country"] for e in events}, key=country_name)
    counts = {c: sum(e["country"] == c for e in events) for c in countries}
    platforms = sorted({p for e in events for p in e["platforms"]}, key=str.lower)
    actions = sorted({a for e in events for a in e["actions"]})
    return f"""<form id="filters" autocomplete="off">
<label>Country<select name="country">{_options([(c, f"{country_name(c)} ({c}) · {counts[c]}") for c in countries], "all")}</select></label>
<label>Platform<select name="platform">{_options([(p, p) for p in platforms], "all")}</select></label>
<label>Status<select name="status">{_options([(s, STATUS_LABELS[s]) for s in STATUSES], "all")}</select></label>
<label>Action<select name="action">{_options([(a, a.replace("_", " ")) for a in actions], "all")}</select></label>
<label>Active from<input type="date" name="from"></label>
<label>to<input type="date" name="to"></label>
<label>Words<input type="search" name="q" placeholder="title, authority..."></label>
<button type="reset">Clear</button>
</form>"""


def _ticks(start: date, end: date) -> list[date]:
    months = [date(y, m, 1) for y in range(start.year, end.year + 1) for m in range(1, 13)
              if start <= date(y, m, 1) <= end]
    step = 1 if len(months) <= 14 else 3 if len(months) <= 42 else 12
    return [m for m in months if (m.month - 1) % step == 0]


def _timeline(events: list[dict[str, Any]]) -> str:
    if not events:
        return ""
    first = min(parse_time(e["first_seen"]).timestamp() for e in events)
    last = max(parse_time(e["last_seen"]).timestamp() for e in events)
    span = max(last - first, 86400.0)
    start, span = first - span * 0.03, span * 1.06  # a margin on both sides

    def at(when: float) -> float:
        return (when - start) / span * 100

    def percent(value: str) -> float:
        return at(parse_time(value).timestamp())

    ticks = "".join(
        f'<span class="tl-tick" style="left:{at(datetime(t.year, t.month, 1, tzinfo=UTC).timestamp()):.2f}%">'
        f'{t.strftime("%b %Y")}</span>'
        for t in _ticks(datetime.fromtimestamp(start, UTC).date(), datetime.fromtimestamp(start + span, UTC).date())
    )
    parts = ['<section id="timeline"><h2>Timeline</h2>', f'<div class="tl-axis">{ticks}</div>']
    for country in sorted({e["country"] for e in events}, key=country_name):
        mine = [e for e in events if e["country"] == country]
        parts.append(f'<div class="tl-country" data-country="{_e(country)}"><h3>{_e(country_name(country))} ({_e(country)})</h3>')
        for platform in sorted({p for e in mine for p in e["platforms"]}, key=str.lower):
            bars = []
            for event in sorted((e for e in mine if platform in e["platforms"]), key=lambda e: e["first_seen"]):
                left = percent(event["first_seen"])
                width = max(percent(event["last_seen"]) - left, _MIN_BAR_PERCENT)
                tip = (f'{event["title"]} ({STATUS_LABELS[event["status"]]}, {_day(event["first_seen"])} .. '
                       f'{_day(event["last_seen"])}, {event["article_count"]} articles)')
                style = f"left:{left:.2f}%;width:{width:.2f}%"
                if event["status"] == "lifted" and event["action"] != "unblock":  # in force until lifted
                    split = (percent(event["status_since"]) - left) / width * 100
                    style += f";--split:{min(max(split, 0.0), 100.0):.1f}%"
                bars.append(f'<a class="tl-bar status-{_e(event["status"])}" href="#ev-{_e(event["event_id"])}" '
                            f'style="{style}" title="{_e(tip)}" aria-label="{_e(tip)}" {_data(event, [platform])}></a>')
            parts.append(f'<div class="tl-row" data-platform="{_e(platform)}"><span class="tl-label">{_e(platform)}</span>'
                         f'<div class="tl-track">{"".join(bars)}</div></div>')
        parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)


def _card(event: dict[str, Any], titles: dict[str, str]) -> str:
    status = event["status"]
    articles = "".join(
        f'<li>{_link(a["url"], a["title"] or a["url"])} <span class="muted">· {_e(a["source"] or a["domain"])} · '
        f'{_e(a["date"][:10])}{" · " + _e(a["language"]) if a["language"] else ""}</span></li>'
        for a in sorted(event["articles"], key=lambda a: a["date"])
    )
    more = event["article_count"] - len(event["articles"])
    if more > 0:
        articles += f'<li class="muted">and {more} more</li>'
    related = "".join(f'<a href="#ev-{_e(r)}">{_e(titles.get(r, r))}</a>' for r in event["related_event_ids"])
    dates = f'{_day(event["first_seen"])} .. {_day(event["last_seen"])}'
    facts = [f'{_e(country_name(event["country"]))} ({_e(event["country"])})', _e(", ".join(event["platforms"])),
             _e(event["action"].replace("_", " ")), f"{STATUS_LABELS[status]} since {_day(event['status_since'])}",
             f"reported {dates}"]
    if event["authorities"]:
        facts.append(_e(", ".join(event["authorities"])))
    sources = len(event["sources"])
    return f"""<article class="event status-{_e(status)}" id="ev-{_e(event["event_id"])}" {_data(event, event["platforms"])}>
<h3><span class="badge">{STATUS_LABELS[status]}</span>{_e(event["title"])}</h3>
<p class="facts">{" · ".join(facts)}</p>
{f'<p class="facts related">Related: {related}</p>' if related else ""}
<details><summary>{event["article_count"]} article{"s" if event["article_count"] != 1 else ""} from {sources} source{"s" if sources != 1 else ""}</summary>
<ul>{articles}</ul></details>
</article>"""


def render_report(events: list[dict[str, Any]], generated: datetime | None = None) -> str:
    """The report page of event records (``event.schema.json``), as one HTML string."""
    generated = generated or datetime.now(UTC)
    events = sorted(events, key=lambda e: (e["last_seen"], e["event_id"]), reverse=True)
    titles = {e["event_id"]: e["title"] for e in events}
    countries = len({e["country"] for e in events})
    if events:
        period = (f'from {min(_day(e["first_seen"]) for e in events)} to '
                  f'{max(_day(e["last_seen"]) for e in events)}')
    else:
        period = "none yet"
    legend = "".join(f'<span class="status-{s}"><i class="dot"></i>{STATUS_LABELS[s]}</span>' for s in STATUSES)
    cards = "\n".join(_card(e, titles) for e in events)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="blockradar">
<title>blockradar: block events</title>
<style>
{_asset("report.css")}
</style>
</head>
<body>
<header>
<h1>Block events</h1>
<p class="meta">{len(events)} events in {countries} countries, {period}. Generated {_e(generated.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))} by blockradar.</p>
</header>
<main>
{_filters(events)}
<p id="count"><span class="legend">{legend}</span> Showing <b id="shown">{len(events)}</b> of {len(events)} events.</p>
<noscript><p class="muted">Filters need JavaScript; every event is listed below.</p></noscript>
{_timeline(events)}
<section id="events"><h2>Events</h2>
<p id="no-match" class="empty" hidden>No event matches these filters.</p>
{cards}
</section>
</main>
<script>
{_asset("report.js")}
</script>
</body>
</html>
"""


def write_report(events: list[dict[str, Any]], output_dir: Path, generated: datetime | None = None) -> Path:
    """Write ``DIR/report.html`` (the directory is created); returns its path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / REPORT_NAME
    tmp = target.with_suffix(".html.tmp")
    tmp.write_text(render_report(events, generated), encoding="utf-8")
    tmp.replace(target)  # readers never see half a page
    return target

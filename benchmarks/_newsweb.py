"""A generated news site for the crawl benchmark (benchmarks/crawl.py), and a small static server for it.

``generate(root, n, base)`` writes ``n`` article pages (30-150 KB of realistic HTML: a long <head> with meta tags,
OpenGraph and JSON-LD, inline CSS and a ``__NEXT_DATA__``-style state blob, a big navigation menu, the article
with several paragraphs of generated text, related links and a footer), each also gzip-compressed beside it, plus
``robots.txt``, a sitemap index of Google News sitemaps (1,000 URLs each, the most a news sitemap may hold), an RSS
feed of the latest 100 articles, an empty RSS feed (a source with nothing new), a home page and ``manifest.jsonl`` (one line a page: url, file, relevant).
About 80% of the articles report a state blocking, throttling or otherwise restricting a platform; the others are
ordinary news (earnings, sport, outages, product launches). Text is generated from word lists with a per-article
seed, so no two bodies are near-duplicates and a run is reproducible.

``python benchmarks/_newsweb.py serve --root DIR`` serves a directory on 127.0.0.1 (HTTP/1.1 keep-alive, a thread per
connection, bodies sent with sendfile, ``.gz`` twin sent when the client accepts gzip, ETag/Last-Modified and 304s).
It prints its port on the first line and exits when its parent process (or ``--parent PID``) does, or after
``--lifetime`` seconds (6 hours).
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import html
import json
import os
import random
import socket
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

SITE_NAME = "The Northern Ledger"
SITEMAP_URLS = 1000
FEED_ITEMS = 100
RELEVANT_SHARE = 0.8

# --- vocabulary ------------------------------------------------------------------------------------------------------
# (country, demonym, authority, capital, wire dateline)
STATES = [
    ("Russia", "Russian", "Roskomnadzor", "Moscow", "MOSCOW"),
    ("Turkey", "Turkish", "the Information and Communication Technologies Authority (BTK)", "Ankara", "ANKARA"),
    ("Iran", "Iranian", "the Supreme Council of Cyberspace", "Tehran", "TEHRAN"),
    ("Pakistan", "Pakistani", "the Pakistan Telecommunication Authority", "Islamabad", "ISLAMABAD"),
    ("Brazil", "Brazilian", "the Supreme Federal Court", "Brasilia", "BRASILIA"),
    ("India", "Indian", "the Ministry of Electronics and Information Technology", "New Delhi", "NEW DELHI"),
    ("China", "Chinese", "the Cyberspace Administration of China", "Beijing", "BEIJING"),
    ("Nigeria", "Nigerian", "the Nigerian Communications Commission", "Abuja", "ABUJA"),
    ("Vietnam", "Vietnamese", "the Ministry of Information and Communications", "Hanoi", "HANOI"),
    ("Venezuela", "Venezuelan", "the telecoms regulator Conatel", "Caracas", "CARACAS"),
    ("Bangladesh", "Bangladeshi", "the Bangladesh Telecommunication Regulatory Commission", "Dhaka", "DHAKA"),
    ("Uganda", "Ugandan", "the Uganda Communications Commission", "Kampala", "KAMPALA"),
    ("Indonesia", "Indonesian", "the Ministry of Communication and Informatics", "Jakarta", "JAKARTA"),
    ("Egypt", "Egyptian", "the National Telecom Regulatory Authority", "Cairo", "CAIRO"),
    ("Iraq", "Iraqi", "the Ministry of Communications", "Baghdad", "BAGHDAD"),
    ("Belarus", "Belarusian", "the Ministry of Information", "Minsk", "MINSK"),
    ("Kazakhstan", "Kazakh", "the Ministry of Digital Development", "Astana", "ASTANA"),
    ("Ethiopia", "Ethiopian", "the government", "Addis Ababa", "ADDIS ABABA"),
]
PLATFORMS = [
    "WhatsApp", "Telegram", "Signal", "Instagram", "Facebook", "TikTok", "YouTube", "Discord", "Wikipedia", "Roblox",
    "Viber", "Skype", "Snapchat", "LinkedIn", "Twitch", "FaceTime", "Threads", "Bluesky", "Reddit", "Steam", "X",
]
# (action, title template, lede template, follow-up sentences)
ACTIONS = [
    ("block", "{country} blocks {platform} {why}",
     "{authority} blocked access to {platform} across {country} on {day}, {why_long}.",
     ["Internet providers in {capital} said they had received an order to block {platform} and had complied within hours.",
      "Users reported that {platform} could not be reached on fixed and mobile networks without a VPN.",
      "The {demonym} government said the block would stay in place until {platform} complied with local law."]),
    ("throttle", "{country} slows down {platform} {why}",
     "{authority} said on {day} it had begun throttling {platform} in {country}, {why_long}.",
     ["Monitoring groups measured download speeds for {platform} videos falling by more than 70 percent.",
      "The regulator warned that the slowdown of {platform} could be followed by a full block.",
      "{demonym} officials said the throttling of {platform} was a response to repeated violations."]),
    ("feature_restriction", "{country} restricts calls on {platform} {why}",
     "{authority} restricted voice and video calls on {platform} in {country} on {day}, {why_long}.",
     ["Text messages on {platform} still went through, but calls failed to connect, users in {capital} said.",
      "The {demonym} regulator said calls on {platform} were being used by fraudsters and extortionists."]),
    ("app_store_removal", "{country} orders {platform} removed from app stores {why}",
     "{authority} ordered Apple and Google on {day} to remove {platform} from their app stores in {country}, {why_long}.",
     ["The {platform} app disappeared from the {demonym} App Store and Google Play later the same day.",
      "Existing users in {country} could keep using {platform}, but new users could no longer download it."]),
    ("threat", "{country} threatens to block {platform} {why}",
     "{authority} threatened on {day} to block {platform} in {country} unless it removed banned content, {why_long}.",
     ["The regulator gave {platform} ten days to comply or face a nationwide block.",
      "{demonym} lawmakers have repeatedly called for {platform} to be banned in {country}."]),
    ("legal_action", "{country} court fines {platform} and orders it blocked {why}",
     "A court in {capital} fined {platform} on {day} and ordered {authority} to block it in {country}, {why_long}.",
     ["The court said {platform} had failed to store the data of {demonym} users on servers inside {country}.",
      "Lawyers for {platform} said the company would appeal against the ruling blocking it."]),
    ("unblock", "{country} lifts ban on {platform} {why}",
     "{authority} lifted the ban on {platform} in {country} on {day}, after the company agreed to its demands.",
     ["{platform} had been blocked in {country} for more than a year before the ban was lifted.",
      "Users in {capital} said {platform} loaded normally again without a VPN."]),
    ("shutdown", "{country} shuts down mobile internet {why}",
     "The {demonym} government shut down mobile internet across {country} on {day}, {why_long}.",
     ["{authority} ordered operators to cut mobile data and block {platform} until further notice.",
      "Residents of {capital} said they could not reach {platform} or any other service for hours."]),
]
WHYS = [
    ("over protest videos", "saying the service spread calls for unauthorised protests"),
    ("ahead of elections", "weeks before a presidential election"),
    ("over extremist content", "citing content it described as extremist"),
    ("during exams", "to stop cheating during national school exams"),
    ("after court ruling", "citing a court ruling on illegal content"),
    ("over data law", "saying the company broke a law on storing user data"),
    ("amid unrest", "as protests spread to several cities"),
    ("over gambling ads", "accusing the service of promoting illegal gambling"),
    ("over fake news", "accusing the platform of spreading false information"),
    ("in security crackdown", "citing national security"),
]
# Ordinary news: (title template, lede template)
OTHER = [
    ("{company} reports record quarterly profit", "{company} reported a record quarterly profit on {day}, beating analysts' forecasts."),
    ("{team} wins the {city} derby", "{team} won the {city} derby on {day}, with a late goal deciding a tense match."),
    ("{platform} suffers global outage", "{platform} was down for millions of users around the world on {day}, the company said, blaming a configuration error."),
    ("{platform} launches new editing tools", "{platform} launched a set of new editing tools for creators on {day}."),
    ("Heavy rain floods streets in {city}", "Heavy rain flooded streets across {city} on {day}, disrupting traffic and closing schools."),
    ("{company} to build new factory near {city}", "{company} said on {day} it would build a new factory near {city}, creating hundreds of jobs."),
    ("Central bank holds rates steady", "The central bank kept its key interest rate unchanged on {day}, citing easing inflation."),
    ("{city} opens new metro line", "{city} opened a new metro line on {day}, cutting journey times between the suburbs and the centre."),
]
COMPANIES = ["Nordvale Energy", "Kestrel Motors", "Harbinger Foods", "Altamira Bank", "Corvid Systems", "Pelican Air",
             "Ironbridge Steel", "Solstice Pharma", "Bluefin Shipping", "Meridian Retail"]
TEAMS = ["Atletico Norte", "Real Costa", "Dynamo Vostok", "Union Sud", "Sporting Lago", "Olympique Mer"]
CITIES = ["Lisbon", "Krakow", "Valencia", "Porto", "Lyon", "Leipzig", "Turin", "Seville", "Gdansk", "Rotterdam"]
FIRST = ["Anna", "Marco", "Leila", "Tomas", "Priya", "Jonas", "Elif", "Kwame", "Sofia", "Daniel", "Mei", "Omar",
         "Ines", "Pavel", "Grace", "Lucas", "Nadia", "Ravi", "Clara", "Yusuf"]
LAST = ["Petrova", "Rossi", "Haddad", "Novak", "Sharma", "Berg", "Kaya", "Mensah", "Almeida", "Okafor", "Chen",
        "Farouk", "Moreau", "Ivanov", "Adeyemi", "Silva", "Karimi", "Iyer", "Weber", "Demir"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

NOUNS = (
    "government minister official regulator court judge lawyer activist journalist editor reporter analyst economist "
    "company investor market price budget deficit tax policy law bill parliament senate election campaign vote "
    "candidate party coalition opposition protest rally police army border region province city village district "
    "school hospital doctor patient teacher student family worker union strike factory farm harvest drought flood "
    "storm winter summer season network service provider operator subscriber signal connection cable satellite "
    "tower station bridge road railway airport port ship cargo shipment export import tariff currency inflation "
    "interest loan debt bank fund pension salary wage contract deal agreement treaty summit meeting talks dispute "
    "conflict ceasefire report survey study statement interview document letter decree order ruling appeal hearing "
    "verdict sentence prison crime fraud scheme investigation inquiry audit review committee council agency "
    "ministry department office spokesperson spokesman spokeswoman director manager founder chairman board "
    "shareholder profit revenue loss growth decline recovery forecast estimate figure data record history decade "
    "century tradition culture festival museum library archive language community neighbourhood resident "
    "citizen voter taxpayer consumer customer user audience reader viewer platform website channel account "
    "message post video photo image comment campaign advert brand product device phone laptop app software update"
).split()
VERBS = (
    "said announced reported confirmed denied argued warned claimed suggested insisted admitted explained "
    "noted added stressed promised pledged vowed demanded urged asked questioned criticised praised welcomed "
    "rejected approved blocked backed opposed supported challenged defended reviewed examined investigated "
    "launched started ended delayed postponed cancelled extended expanded reduced increased raised lowered "
    "cut doubled halved tripled estimated calculated measured counted recorded published released issued "
    "signed drafted proposed adopted passed amended repealed overturned upheld dismissed accepted considered "
    "discussed debated negotiated agreed settled resolved reached met visited travelled returned moved built "
    "opened closed sold bought acquired merged hired fired trained prepared planned organised hosted attended"
).split()
ADJECTIVES = (
    "new old large small major minor national local regional federal public private official independent "
    "senior junior former current previous recent early late final initial formal informal serious significant "
    "modest sharp steady sudden gradual rapid slow strong weak heavy light high low long short wide narrow broad "
    "key main central northern southern eastern western rural urban coastal domestic foreign international "
    "economic political social cultural legal technical financial digital military civil criminal commercial "
    "industrial agricultural environmental medical educational strategic controversial unexpected unprecedented "
    "familiar unusual detailed brief lengthy preliminary annual monthly weekly daily quarterly"
).split()
ADVERBS = "quickly slowly recently finally eventually repeatedly openly quietly publicly privately briefly largely".split()
PREPS = "in on at for with about against after before during under over across between near within".split()
NUMBERS = ["two", "three", "four", "five", "several", "dozens of", "hundreds of", "thousands of", "many", "some"]


@dataclass(frozen=True)
class PageInfo:
    """One generated page, as the manifest lists it."""

    index: int
    url: str
    file: str
    relevant: bool
    title: str
    published: str


# --- text ----------------------------------------------------------------------------------------------------------
def _sentence(rnd: random.Random) -> str:
    """One filler sentence of 8-30 words from a small grammar."""
    n, v, a = rnd.choice, rnd.choice, rnd.choice
    forms = (
        lambda: f"The {a(ADJECTIVES)} {n(NOUNS)} {v(VERBS)} that the {n(NOUNS)} had {v(VERBS)} the {a(ADJECTIVES)} "
                f"{n(NOUNS)} {rnd.choice(PREPS)} the {n(NOUNS)}",
        lambda: f"{rnd.choice(NUMBERS).capitalize()} {n(NOUNS)}s {rnd.choice(ADVERBS)} {v(VERBS)} the {n(NOUNS)}, "
                f"according to a {a(ADJECTIVES)} {n(NOUNS)} {v(VERBS)} by the {n(NOUNS)}",
        lambda: f"{rnd.choice(PREPS).capitalize()} the {a(ADJECTIVES)} {n(NOUNS)}, the {n(NOUNS)} {v(VERBS)} "
                f"{rnd.randint(2, 98)} percent of the {n(NOUNS)}s and {v(VERBS)} a {a(ADJECTIVES)} {n(NOUNS)}",
        lambda: f"A {a(ADJECTIVES)} {n(NOUNS)} {rnd.choice(PREPS)} {rnd.choice(CITIES)} {v(VERBS)} the "
                f"{n(NOUNS)} {rnd.choice(PREPS)} {rnd.choice(DAYS)}, {rnd.choice(FIRST)} {rnd.choice(LAST)} "
                f"{v(VERBS)}",
        lambda: f"The {n(NOUNS)} has {v(VERBS)} {rnd.choice(NUMBERS)} {a(ADJECTIVES)} {n(NOUNS)}s since "
                f"{rnd.randint(1990, 2025)}, while the {n(NOUNS)} {v(VERBS)} {rnd.choice(ADVERBS)}",
        lambda: f"\u201cWe {v(VERBS)} the {a(ADJECTIVES)} {n(NOUNS)} and we {v(VERBS)} the {n(NOUNS)},\u201d "
                f"{rnd.choice(FIRST)} {rnd.choice(LAST)}, a {a(ADJECTIVES)} {n(NOUNS)}, {v(VERBS)}",
    )
    return rnd.choice(forms)() + "."


def _paragraph(rnd: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rnd) for _ in range(sentences))


def _name(rnd: random.Random) -> str:
    return f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"


@dataclass
class _Story:
    title: str
    description: str
    paragraphs: list[str]
    subheads: dict[int, str]
    section: str
    relevant: bool
    authors: list[str]
    quote: str


def _story(rnd: random.Random, relevant: bool) -> _Story:
    day = rnd.choice(DAYS)
    if relevant:
        country, demonym, authority, capital, dateline = rnd.choice(STATES)
        platform = rnd.choice(PLATFORMS)
        _, title_t, lede_t, follow = rnd.choice(ACTIONS)
        why, why_long = rnd.choice(WHYS)
        fill = {"country": country, "demonym": demonym, "authority": authority, "capital": capital,
                "platform": platform, "day": day, "why": why, "why_long": why_long}
        title = title_t.format(**fill)
        lede = lede_t.format(**fill)
        lede = lede[0].upper() + lede[1:]
        topical = [s.format(**fill) for s in follow]
        section = rnd.choice(["world", "technology", "europe", "asia", "middle-east", "africa", "americas"])
        dateline = f"{dateline}, {rnd.choice(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun'])} {rnd.randint(1, 28)} (Ledger) - "
    else:
        title_t, lede_t = rnd.choice(OTHER)
        fill = {"company": rnd.choice(COMPANIES), "team": rnd.choice(TEAMS), "city": rnd.choice(CITIES),
                "platform": rnd.choice(PLATFORMS), "day": day}
        title, lede, topical = title_t.format(**fill), lede_t.format(**fill), []
        section = rnd.choice(["business", "sport", "technology", "science", "culture"])
        dateline = ""
    paragraphs = [dateline + lede + " " + _paragraph(rnd, rnd.randint(1, 3))]
    count = rnd.randint(5, 22)
    for i in range(count):
        text = _paragraph(rnd, rnd.randint(2, 6))
        if topical and i < len(topical) * 3 and i % 3 == 0:
            text = topical[i // 3] + " " + text
        paragraphs.append(text)
    subheads = {i: " ".join(rnd.choice(NOUNS) for _ in range(3)).capitalize()
                for i in range(4, count, rnd.randint(4, 7))}
    authors = [_name(rnd) for _ in range(rnd.choice([1, 1, 1, 2]))]
    quote = _paragraph(rnd, 1)
    return _Story(title, lede, paragraphs, subheads, section, relevant, authors, quote)


# --- page ----------------------------------------------------------------------------------------------------------
_CSS_RULES = [".{c} {{ margin: {m}px; padding: {p}px {q}px; color: #{h:06x}; font-size: {f}rem; }}",
              ".{c}:hover {{ background: #{h:06x}; border-bottom: {m}px solid #{h2:06x}; }}",
              "@media (min-width: {w}px) {{ .{c} {{ display: flex; gap: {p}px; }} }}"]
_SECTIONS = ["world", "europe", "asia", "middle-east", "africa", "americas", "technology", "business", "science",
             "culture", "sport", "opinion", "climate", "health", "video", "podcasts"]


def _css(rnd: random.Random, rules: int) -> str:
    return "\n".join(
        rnd.choice(_CSS_RULES).format(
            c=f"c{i}-{rnd.choice(NOUNS)}", m=rnd.randint(0, 24), p=rnd.randint(0, 32), q=rnd.randint(0, 32),
            h=rnd.randint(0, 0xFFFFFF), h2=rnd.randint(0, 0xFFFFFF), f=round(rnd.uniform(0.7, 2.4), 2),
            w=rnd.choice([480, 768, 1024, 1280]))
        for i in range(rules)
    )


def _teaser(rnd: random.Random, prefix: str) -> tuple[str, str]:
    words = [rnd.choice(ADJECTIVES), rnd.choice(NOUNS), rnd.choice(VERBS), rnd.choice(NOUNS),
             rnd.choice(PREPS), rnd.choice(CITIES)]
    headline = " ".join(words).capitalize()
    slug = "-".join(w.lower() for w in words)
    return headline, f"{prefix}/{rnd.choice(_SECTIONS)}/2025/{rnd.randint(1, 12):02d}/{rnd.randint(1, 28):02d}/{slug}.html"


def render_page(index: int, base: str, path: str, published: datetime, story: _Story, rnd: random.Random,
                target_bytes: int) -> str:
    """The full HTML of one article page, padded to about ``target_bytes`` with a state blob."""
    url = base + path
    e = html.escape
    pub = published.isoformat()
    modified = (published + timedelta(minutes=rnd.randint(5, 600))).isoformat()
    image = f"{base}/img/{published:%Y/%m}/{index}-hero.jpg"
    flavour = rnd.random()  # < 0.65 JSON-LD + OpenGraph, else OpenGraph and meta tags only
    body_html = []
    for i, paragraph in enumerate(story.paragraphs):
        if i in story.subheads:
            body_html.append(f"<h2>{e(story.subheads[i])}</h2>")
        body_html.append(f"<p>{e(paragraph)}</p>")
        if i == 2:
            body_html.append(f'<figure class="inline-image"><img src="{base}/img/{index}-{i}.jpg" alt="" loading="lazy">'
                             f"<figcaption>{e(_paragraph(rnd, 1))} Photo: {e(_name(rnd))}/Ledger</figcaption></figure>")
        if i == 4:
            related_title, related_href = _teaser(rnd, base)
            body_html.append(f'<p class="read-more">Read more: <a href="{related_href}">{e(related_title)}</a></p>')
        if i == 6:
            body_html.append(f"<blockquote><p>{e(story.quote)}</p></blockquote>")
    nav = "\n".join(
        f'<li class="menu-item"><a href="{base}/{section}/">{section.replace("-", " ").title()}</a><ul class="sub-menu">'
        + "".join(f'<li><a href="{base}/{section}/{rnd.choice(NOUNS)}-{k}/">{e(rnd.choice(NOUNS).title())}</a></li>'
                  for k in range(rnd.randint(4, 9)))
        + "</ul></li>"
        for section in _SECTIONS
    )
    most_read = "".join(f'<li><a href="{href}">{e(title)}</a></li>'
                        for title, href in (_teaser(rnd, base) for _ in range(10)))
    more = "".join(
        f'<div class="card"><a href="{href}"><img src="{base}/img/t{rnd.randint(1, 99999)}.jpg" alt=""><h3>{e(title)}</h3></a>'
        f"<p>{e(_sentence(rnd))}</p></div>"
        for title, href in (_teaser(rnd, base) for _ in range(6))
    )
    footer = "".join(f'<li><a href="{base}/{w}/">{w.title()}</a></li>'
                     for w in rnd.sample(NOUNS, 40))
    authors_html = " and ".join(f'<a rel="author" href="{base}/author/{a.lower().replace(" ", "-")}/">{e(a)}</a>'
                                for a in story.authors)
    jsonld = ""
    if flavour < 0.65:
        article_ld: dict[str, object] = {
            "@context": "https://schema.org", "@type": "NewsArticle", "headline": story.title,
            "description": story.description, "datePublished": pub, "dateModified": modified,
            "mainEntityOfPage": url, "image": [image],
            "author": [{"@type": "Person", "name": a, "url": f"{base}/author/{a.lower().replace(' ', '-')}/"}
                       for a in story.authors],
            "publisher": {"@type": "NewsMediaOrganization", "name": SITE_NAME,
                          "logo": {"@type": "ImageObject", "url": f"{base}/img/logo.png"}},
            "articleSection": story.section, "inLanguage": "en",
        }
        if rnd.random() < 0.4:
            article_ld["articleBody"] = "\n\n".join(story.paragraphs)
        crumbs = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": base + "/"},
            {"@type": "ListItem", "position": 2, "name": story.section.title(), "item": f"{base}/{story.section}/"}]}
        jsonld = (f'<script type="application/ld+json">{json.dumps(article_ld, ensure_ascii=False)}</script>\n'
                  f'<script type="application/ld+json">{json.dumps(crumbs)}</script>')
    head = f"""<!DOCTYPE html>
<html lang="en-GB" class="no-js">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(story.title)} | {SITE_NAME}</title>
<meta name="description" content="{e(story.description)}">
<meta name="keywords" content="{e(", ".join(rnd.sample(NOUNS, 8)))}">
<meta name="robots" content="index, follow, max-image-preview:large">
<meta name="author" content="{e(", ".join(story.authors))}">
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="og:type" content="article">
<meta property="og:title" content="{e(story.title)}">
<meta property="og:description" content="{e(story.description)}">
<meta property="og:url" content="{url}">
<meta property="og:image" content="{image}">
<meta property="og:image:width" content="1200"><meta property="og:image:height" content="675">
<meta property="article:published_time" content="{pub}">
<meta property="article:modified_time" content="{modified}">
<meta property="article:section" content="{story.section}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:site" content="@northernledger">
<meta name="twitter:title" content="{e(story.title)}">
<meta name="twitter:image" content="{image}">
<link rel="canonical" href="{url}">
<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" href="{base}/feed.xml">
<link rel="preconnect" href="https://cdn.ledger.example">
<link rel="preload" as="font" href="https://cdn.ledger.example/fonts/serif-{rnd.randint(1, 9)}.woff2" crossorigin>
<link rel="stylesheet" href="https://cdn.ledger.example/css/main.{rnd.randint(10**7, 10**8)}.css">
<link rel="icon" href="{base}/favicon.ico">
{jsonld}
<style>{_css(rnd, rnd.randint(40, 120))}</style>
<script>window.dataLayer=window.dataLayer||[];window.dataLayer.push({json.dumps({"pageType": "article", "section": story.section, "articleId": index, "wordCount": sum(len(p.split()) for p in story.paragraphs), "authors": story.authors})});</script>
<script async src="https://cdn.ledger.example/js/analytics.{rnd.randint(10**5, 10**6)}.js"></script>
</head>"""
    body = f"""
<body class="article-page section-{story.section}">
<a class="skip-link" href="#main">Skip to content</a>
<div class="breaking-bar"><span>Breaking</span> <a href="{_teaser(rnd, base)[1]}">{e(_teaser(rnd, base)[0])}</a></div>
<header class="site-header">
<a class="logo" href="{base}/"><img src="{base}/img/logo.svg" alt="{SITE_NAME}"></a>
<nav class="main-nav" aria-label="Sections"><ul class="menu">
{nav}
</ul></nav>
<form class="search" action="{base}/search/"><input type="search" name="q" placeholder="Search"><button>Search</button></form>
<a class="subscribe" href="{base}/subscribe/">Subscribe</a> <a class="login" href="{base}/account/login/">Sign in</a>
</header>
<main id="main">
<div class="breadcrumbs"><a href="{base}/">Home</a> &rsaquo; <a href="{base}/{story.section}/">{story.section.title()}</a></div>
<article class="article">
<header class="article-header">
<h1 class="headline">{e(story.title)}</h1>
<p class="standfirst">{e(story.description)}</p>
<div class="byline">By {authors_html}</div>
<time class="published" datetime="{pub}">{published:%d %B %Y, %H:%M} UTC</time>
<ul class="share"><li><a href="https://www.facebook.com/sharer.php?u={url}">Share on Facebook</a></li><li><a href="https://x.com/intent/tweet?url={url}">Share on X</a></li><li><a href="mailto:?subject={e(story.title)}">Email</a></li></ul>
</header>
<figure class="hero"><img src="{image}" alt="{e(story.title)}" width="1200" height="675"><figcaption>{e(_sentence(rnd))} Photo: {e(_name(rnd))}</figcaption></figure>
<div class="article-body">
{chr(10).join(body_html)}
</div>
<footer class="article-footer">
<p class="tags">Topics: {" ".join(f'<a href="{base}/topic/{t}/">{t}</a>' for t in rnd.sample(NOUNS, 4))}</p>
<div class="newsletter"><h3>The Ledger Daily</h3><p>Sign up for our daily newsletter and get the news in your inbox every morning.</p><form><input type="email" placeholder="Email address"><button>Sign up</button></form></div>
</footer>
</article>
<aside class="sidebar"><h2>Most read</h2><ol>{most_read}</ol></aside>
<section class="more-stories"><h2>More from {story.section.title()}</h2>{more}</section>
<div class="comments-teaser"><a href="{url}#comments">Join the conversation</a></div>
</main>
<footer class="site-footer"><ul class="footer-links">{footer}</ul>
<p>&copy; {published.year} {SITE_NAME}. All rights reserved. <a href="{base}/privacy/">Privacy</a> <a href="{base}/terms/">Terms</a></p></footer>
"""
    tail = "</body>\n</html>\n"
    page = head + body
    # A Next.js-style state blob: the article again, teasers and config, as real news pages carry.
    state: dict[str, object] = {"props": {"pageProps": {"article": {"id": index, "title": story.title,
                                "paragraphs": story.paragraphs, "authors": story.authors}}}, "teasers": []}
    teasers: list[object] = state["teasers"]  # type: ignore[assignment]
    room = target_bytes - len(page) - len(tail) - 600
    size = len(json.dumps(state))
    while size < room:
        title, href = _teaser(rnd, base)
        teaser = {"id": rnd.randint(10**6, 10**7), "title": title, "url": href, "summary": _paragraph(rnd, 2),
                  "image": f"{base}/img/t{rnd.randint(1, 99999)}.jpg", "section": rnd.choice(_SECTIONS)}
        teasers.append(teaser)
        size += len(json.dumps(teaser)) + 2
    blob = json.dumps(state, ensure_ascii=False).replace("</", "<\\/")
    page += f'<script id="__NEXT_DATA__" type="application/json">{blob}</script>\n'
    return page + tail


def _slug(title: str) -> str:
    return "-".join("".join(c for c in w.lower() if c.isalnum()) for w in title.split())[:80].strip("-")


def _page_plan(index: int, seed: int) -> tuple[random.Random, bool, datetime, int]:
    rnd = random.Random(seed * 1_000_003 + index)
    relevant = rnd.random() < RELEVANT_SHARE
    published = datetime(2026, 3, 1, tzinfo=UTC) - timedelta(minutes=37 * index + rnd.randint(0, 30))
    target = int(rnd.triangular(30_000, 150_000, 60_000))
    return rnd, relevant, published, target


def _write_pages(args: tuple[Path, str, str, int, int, int, bool]) -> list[PageInfo]:
    root, base, prefix, start, stop, seed, compress = args
    infos = []
    for index in range(start, stop):
        rnd, relevant, published, target = _page_plan(index, seed)
        story = _story(rnd, relevant)
        path = f"{prefix}/{story.section}/{published:%Y/%m/%d}/{_slug(story.title)}-{index}.html"
        text = render_page(index, base + prefix, path[len(prefix):], published, story, rnd, target)
        file = root / path.lstrip("/")
        file.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        file.write_bytes(data)
        if compress:
            file.with_name(file.name + ".gz").write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
        infos.append(PageInfo(index, base + path, str(file), relevant, story.title, published.isoformat()))
    return infos


def generate(root: Path, n: int, base: str, prefix: str, *, seed: int = 1, workers: int = 2,
             compress: bool = True) -> list[PageInfo]:
    """Write ``n`` article pages under ``root/prefix`` and the discovery documents; return the manifest."""
    chunk = max(100, n // (workers * 8) or 1)
    jobs = [(root, base, prefix, start, min(n, start + chunk), seed, compress) for start in range(0, n, chunk)]
    pages: list[PageInfo] = []
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(workers) as pool:
            for infos in pool.map(_write_pages, jobs):
                pages.extend(infos)
    else:
        for job in jobs:
            pages.extend(_write_pages(job))
    site = root / prefix.lstrip("/")
    _write_discovery(site, base + prefix, pages)
    with (site / "manifest.jsonl").open("w", encoding="utf-8") as out:
        for page in pages:
            out.write(json.dumps(page.__dict__) + "\n")
    return pages


def _write_discovery(site: Path, base: str, pages: list[PageInfo]) -> None:
    newest = sorted(pages, key=lambda p: p.published, reverse=True)
    names = []
    for number, start in enumerate(range(0, len(newest), SITEMAP_URLS), 1):
        entries = "".join(
            f"<url><loc>{xml_escape(p.url)}</loc><lastmod>{p.published}</lastmod><news:news><news:publication>"
            f"<news:name>{SITE_NAME}</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{p.published}</news:publication_date><news:title>{xml_escape(p.title)}"
            f"</news:title></news:news></url>\n"
            for p in newest[start : start + SITEMAP_URLS]
        )
        name = f"sitemap-news-{number}.xml"
        (site / name).write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + entries + "</urlset>\n",
            encoding="utf-8")
        names.append(name)
    (site / "sitemap_index.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(f"<sitemap><loc>{base}/{name}</loc></sitemap>\n" for name in names) + "</sitemapindex>\n",
        encoding="utf-8")
    items = "".join(
        f"<item><title>{xml_escape(p.title)}</title><link>{xml_escape(p.url)}</link><guid>{xml_escape(p.url)}</guid>"
        f"<pubDate>{email.utils.format_datetime(datetime.fromisoformat(p.published))}</pubDate></item>\n"
        for p in newest[:FEED_ITEMS]
    )
    (site / "feed.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{SITE_NAME}</title>'
        f"<link>{base}/</link><description>Latest news</description>\n{items}</channel></rss>\n", encoding="utf-8")
    (site / "empty-feed.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{SITE_NAME}: nothing new</title>'
        f"<link>{base}/</link><description>No items</description></channel></rss>\n", encoding="utf-8")
    (site / "index.html").write_text(
        f"<!DOCTYPE html><html lang='en'><head><title>{SITE_NAME}</title></head><body><ul>"
        + "".join(f'<li><a href="{html.escape(p.url)}">{html.escape(p.title)}</a></li>' for p in newest[:50])
        + "</ul></body></html>\n", encoding="utf-8")


def write_robots(root: Path, sitemaps: list[str]) -> None:
    """robots.txt at the server root: everything allowed but account pages, and the sitemaps."""
    lines = ["User-agent: *", "Disallow: /account/", *(f"Sitemap: {s}" for s in sitemaps)]
    (root / "robots.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_manifest(site: Path) -> list[PageInfo]:
    with (site / "manifest.jsonl").open(encoding="utf-8") as lines:
        return [PageInfo(**json.loads(line)) for line in lines if line.strip()]


# --- server --------------------------------------------------------------------------------------------------------
_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml", ".txt": "text/plain; charset=utf-8",
          ".jsonl": "application/json"}
_MAX_HEADER = 65536


def _serve_connection(conn: socket.socket, root: Path) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = b""
    try:
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = conn.recv(65536)
                if not chunk or len(buffer) > _MAX_HEADER:
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = [*lines[0].split(" "), "", "", ""][:3]
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
            path = unquote(urlsplit(target).path)
            file = (root / path.lstrip("/")).resolve()
            if file.is_dir():
                file = file / "index.html"
            if not file.is_relative_to(root) or not file.is_file():
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found")
                if not keep_alive:
                    return
                continue
            content_type = _TYPES.get(file.suffix, "application/octet-stream")
            send = file
            extra = ""
            if "gzip" in headers.get("accept-encoding", "") and file.suffix == ".html":
                twin = file.with_name(file.name + ".gz")
                if twin.is_file():
                    send, extra = twin, "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
            stat = send.stat()
            etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
            modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
            validators = f"ETag: {etag}\r\nLast-Modified: {modified}\r\n"
            if headers.get("if-none-match") == etag:
                conn.sendall(f"HTTP/1.1 304 Not Modified\r\n{validators}Content-Length: 0\r\n\r\n".encode("latin-1"))
                continue
            conn.sendall((f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {stat.st_size}\r\n"
                          f"{validators}{extra}\r\n").encode("latin-1"))
            if method != "HEAD":
                with send.open("rb") as body:
                    conn.sendfile(body)
            if not keep_alive:
                return
    except OSError:
        return
    finally:
        conn.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def serve(root: Path, port: int = 0, parent: int | None = None, lifetime: float = 6 * 3600) -> None:
    """Serve ``root`` on 127.0.0.1 until the parent process goes away, or ``lifetime`` seconds at most."""
    root = root.resolve()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(256)
    print(listener.getsockname()[1], flush=True)
    watched = parent or os.getppid()
    deadline = time.monotonic() + lifetime

    def watchdog() -> None:
        while (watched <= 1 or _alive(watched)) and time.monotonic() < deadline:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_serve_connection, args=(conn, root), daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a directory for the crawl benchmark.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_cmd = sub.add_parser("serve")
    serve_cmd.add_argument("--root", type=Path, required=True)
    serve_cmd.add_argument("--port", type=int, default=0)
    serve_cmd.add_argument("--parent", type=int, help="exit when this process is gone (default: the parent)")
    serve_cmd.add_argument("--lifetime", type=float, default=6 * 3600, help="exit after this many seconds")
    args = parser.parse_args(argv)
    serve(args.root, args.port, args.parent, args.lifetime)
    return 0


if __name__ == "__main__":
    sys.exit(main())

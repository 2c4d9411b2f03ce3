"""Line rules against boilerplate: what they drop, and the article lines they must leave alone."""

from __future__ import annotations

import pytest
from lxml.html import fromstring

from crawler.extract.boilerplate import is_boilerplate, link_texts, strip_boilerplate

LINKS = frozenset(
    {
        "who will make the rock hall in 2020?",
        "senators block online safety bill that would have required age checks",
        "beachbody performance energize",
    }
)


@pytest.mark.parametrize(
    "line",
    [
        "Sign up for our daily newsletter",
        "Get the day's top headlines delivered to your inbox every morning.",
        "Thanks for signing up!",
        "Follow us on Telegram",
        "Follow Newsbeat on Instagram, Facebook, Twitter and YouTube.",
        "Jetzt The Daily Globe abonnieren",
        "Подписывайтесь на «Вечерние новости» в Telegram и MAX",
        "Підписуйтеся на MirPress у Telegram",
        "MirPress'i Telegram'da takip edin",
        "میرپرس را در تلگرام دنبال کنید",
        "Suivez-nous sur Telegram",
        "CLICK HERE TO GET THE FOX NEWS APP",
        "Related: The 15 Weirdest Galaxies in Our Universe",
        "READ MORE: Hong Kong protests: 800 students under siege",
        "Lesen Sie auch: Die Bahn streikt wieder",
        "Читайте также: Роскомнадзор замедлил YouTube",
        "Have a tip? Amy may be reached at amy@example.com.",
        "Reading time: 4 minutes",
        "Filed under: Technology |",
        "Updated: Tue., Nov. 19, 2019",
        "https://www.example.com/brexit",
        "2019-11-19T08:57:40+01:00",
        "Join our commenting forum",
        "- Who will make the Rock Hall in 2020?",
        "Senators block online safety bill that would have required age checks",
    ],
)
def test_boilerplate_lines_are_recognised(line: str) -> None:
    assert is_boilerplate(line, LINKS)


@pytest.mark.parametrize(
    "line",
    [
        # article sentences that share words with promotions
        "Telegram has more than 900 million monthly users, many of them in Russia and Iran.",
        "The regulator said it would follow the court's order and block the service on Monday.",
        "Subscribers in the affected provinces could not reach WhatsApp for three days.",
        "In a newsletter to investors, the company said the outage cost it $40 million.",
        # a short linked name inside a table of content is content
        "Beachbody Performance Energize",
        # a long paragraph is never a promotion, whatever it mentions
        (
            "Follow us on X, the ministry told citizens in a statement that ran to several paragraphs and went "
            "on to explain, at length, why the platform had been restricted, which laws applied, which courts had "
            "ruled, and what users should expect in the coming weeks as the restriction is extended further."
        ),
    ],
)
def test_article_lines_are_kept(line: str) -> None:
    assert not is_boilerplate(line, LINKS)


def test_related_box_goes_with_its_links_and_the_article_resumes() -> None:
    lines = [
        "First paragraph of the story.",
        "You may also like...",
        "Who will make the Rock Hall in 2020?",
        "Senators block online safety bill that would have required age checks",
        "The story goes on after the box, with a paragraph of its own.",
    ]
    text = "\n".join(lines)
    assert strip_boilerplate(text, LINKS).split("\n") == [
        "First paragraph of the story.",
        "The story goes on after the box, with a paragraph of its own.",
    ]


def test_a_related_heading_does_not_swallow_the_subheading_after_it() -> None:
    text = "Auch interessant\nKontroversen um die Entscheidung\nDer Streit begann im Frühjahr."
    assert (
        strip_boilerplate(text, LINKS) == "Kontroversen um die Entscheidung\nDer Streit begann im Frühjahr."
    )


def test_link_texts_are_read_from_the_page() -> None:
    tree = fromstring(
        "<html><body><a href='/a'>Home</a><a href='/b'>  Who will make the\n Rock Hall in 2020? </a></body></html>"
    )
    assert link_texts(tree) == frozenset({"who will make the rock hall in 2020?"})

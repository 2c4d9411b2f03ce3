"""The elements of a page that several extractors read, gathered in one walk of the tree.

Links (boilerplate), paragraphs (body), <article>s, <main>s and <h1>s (titles, the story's element), the <head>'s
<title>, <meta>, <link> and <time> (metadata) were each looked for in a walk of their own, an XPath '//x' or a
``tree.iter('x')``: on a 100 KB page each walk costs about as much as all of them at once. ``PageElements.of`` walks
the tree once for all of them; every list keeps the document order and the scope (the tree or the whole document) of
the walk it replaces.

Also here: the start of the body's visible text, read only as far as the date search reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml.etree import iterwalk

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# Read within the tree a function is given (``tree.iter(tag)``) ...
_TREE_TAGS = ("a", "p", "article", "main", "meta")
# ... and in the whole document ('//h1', '//head/title', '/descendant::link', '/descendant::time'), which is
# more than the tree when lxml.html.fromstring gave the element of a fragment rather than the page's root.
_DOCUMENT_TAGS = ("h1", "title", "link", "time", "script", "style")
# The scripts drop_code keeps: what trafilatura (forum pages) and htmldate read.
_DATA_SCRIPTS = frozenset({"application/ld+json", "application/settings+json"})
# What visible_text_start leaves out, as '//body//text()[not(ancestor::script) and not(ancestor::style)]' does.
_INVISIBLE = frozenset({"script", "style"})


@dataclass(frozen=True)
class PageElements:
    """Elements of one parsed page, each list in document order."""

    anchors: list[HtmlElement]
    """``tree.iter('a')``"""
    paragraphs: list[HtmlElement]
    """``tree.iter('p')``"""
    articles: list[HtmlElement]
    """``tree.iter('article')``"""
    mains: list[HtmlElement]
    """``tree.iter('main')``"""
    metas: list[HtmlElement]
    """``tree.iter('meta')``"""
    h1s: list[HtmlElement]
    """Every <h1> of the document."""
    titles: list[HtmlElement]
    """Every <title> of the document (those of an <svg> too: see head_title)."""
    links: list[HtmlElement]
    """Every <link> of the document."""
    times: list[HtmlElement]
    """Every <time> of the document."""
    code: list[HtmlElement]
    """Every <script> and <style> of the document."""

    @classmethod
    def of(cls, tree: HtmlElement) -> PageElements:
        """Walk the document once (twice when ``tree`` is not its root)."""
        root = tree.getroottree().getroot()
        found: dict[str, list[HtmlElement]] = {tag: [] for tag in (*_TREE_TAGS, *_DOCUMENT_TAGS)}
        whole = root is tree  # lxml keeps one Python object per element while it is referenced
        for element in root.iter(*_DOCUMENT_TAGS, *_TREE_TAGS) if whole else root.iter(*_DOCUMENT_TAGS):
            found[element.tag].append(element)
        if not whole:
            for element in tree.iter(*_TREE_TAGS):
                found[element.tag].append(element)
        return cls(
            anchors=found["a"],
            paragraphs=found["p"],
            articles=found["article"],
            mains=found["main"],
            metas=found["meta"],
            h1s=found["h1"],
            titles=found["title"],
            links=found["link"],
            times=found["time"],
            code=[*found["script"], *found["style"]],
        )

    def drop_code(self) -> None:
        """Remove the page's scripts and style sheets, but for the JSON-LD and settings data that trafilatura and
        htmldate read, keeping the text that follows each (its tail).

        What is read after the metadata never reads them (titles, authors and the visible text leave scripts and
        styles out; htmldate reads only those two kinds), and trafilatura removes them too, but only after it has
        copied the tree three times and run its pruning XPaths over it: on a page with a large inline script
        (a framework's state, often half the page) its pass costs ~15% less without them. Same output, checked
        on the benchmark pages."""
        for element in self.code:
            if element.tag == "style" or element.get("type") not in _DATA_SCRIPTS:
                element.drop_tree()

    def head_title(self, tree: HtmlElement) -> str:
        """``' '.join(tree.xpath('//head/title//text()'))``: the text of the page's <title>. There is one <title>
        in a <head> (an <svg> has its own): its text is read alone; for several the XPath itself is run."""
        in_head = [t for t in self.titles if (parent := t.getparent()) is not None and parent.tag == "head"]
        if len(in_head) > 1:
            return " ".join(tree.xpath("//head/title//text()"))
        if not in_head:
            return ""
        title = in_head[0]
        # a <title> holds text only (its one text node, or none): the XPath is only run on one that has children
        return " ".join(title.xpath(".//text()")) if len(title) else title.text or ""


def visible_text_start(tree: HtmlElement, limit: int) -> str:
    """``' '.join(tree.xpath('//body//text()[not(ancestor::script) and not(ancestor::style)]'))[:limit]``, read
    only as far as ``limit``: the XPath tests every text node's ancestors in the whole page (up to 40 ms on a large
    one), for the few kilobytes a date is looked for in."""
    texts: list[str] = []
    size = -1  # the length of ' '.join(texts)
    for body in tree.getroottree().iter("body"):
        if next(body.iterancestors("body"), None) is not None:
            continue  # (read already, as part of the outer body)
        walk = iterwalk(body, events=("start", "end", "comment", "pi"))
        for event, node in walk:
            if event == "start":
                if node.tag in _INVISIBLE:
                    walk.skip_subtree()  # its text is left out; its tail (read at its 'end') is not
                    continue
                text = node.text
            elif node is body:
                continue  # the body's tail is not in it
            else:  # the tail of an element, a comment or a processing instruction (not their own text)
                text = node.tail
            if text:
                texts.append(text)
                size += len(text) + 1
                if size >= limit:
                    return " ".join(texts)[:limit]
    return " ".join(texts)[:limit]

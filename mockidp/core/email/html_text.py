"""What tests read from a rendered email besides its HTML: the links in it and a plain-text
version. Imported on first render, which keeps html.parser out of start-up."""
from __future__ import annotations

import re
from html.parser import HTMLParser

ABSOLUTE_URL = re.compile(r"https?://[^\s<>\"']+")
BLOCK_TAGS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "table", "ul",
              "ol", "blockquote", "section", "article", "header", "footer", "hr"}
SKIPPED_TAGS = {"head", "style", "script", "title"}


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value and ABSOLUTE_URL.match(value.strip()):
                self.links.append(value.strip())

    def handle_data(self, data: str) -> None:
        self.links.extend(match.rstrip(".,;:!?)") for match in ABSOLUTE_URL.findall(data))


def extract_links(html: str) -> list[str]:
    """Every absolute http(s) URL in the body (attributes and text), first appearance first."""
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    return list(dict.fromkeys(collector.links))


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._href: str | None = None
        self._anchor_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._anchor_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag == "a" and self._href is not None:
            label = " ".join("".join(self._anchor_text).split())
            href = self._href.strip()
            if href and href != label:
                self.parts.append(f" ({href})" if label else href)
            self._href = None
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        self.parts.append(data)
        if self._href is not None:
            self._anchor_text.append(data)


def html_to_text(html: str) -> str:
    """A readable plain-text version of an HTML email (Auth0 sends HTML only; tests like text)."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- the Management API's /email-templates -----------------------------------------------------

"""The URLs an HTML page loads or links to, for checking decks and site pages: nothing may come
from another host (:func:`external_references`), and every local file must exist
(:func:`local_references`, and ``website.check_links`` with :class:`References`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser


class References(HTMLParser):
    """Every URL an HTML page loads or links to: attributes, inline CSS ``url()``/``@import``
    and quoted URLs in inline scripts."""

    ATTRS = {"src", "href", "data", "poster", "action", "srcset", "background"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag = tag
        for name, value in attrs:
            if name in self.ATTRS and value:
                self.urls += (
                    [u.split()[0] for u in value.split(",")] if name == "srcset" else [value]
                )
            if name == "style" and value:
                self.urls += _css_urls(value)

    def handle_data(self, data: str) -> None:
        if self._tag == "style":
            self.urls += _css_urls(data)
        elif self._tag == "script":
            self.urls += re.findall(r"""["'`]((?:https?:)?//[^"'`\s]+)["'`]""", data)


def _css_urls(css: str) -> list[str]:
    found = re.findall(r"""url\(\s*["']?([^"')\s]+)""", css)
    return found + re.findall(r"""@import\s+["']([^"']+)""", css)


def is_external(url: str) -> bool:
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.I)) and not url.startswith("file:")


def external_references(html: str) -> list[str]:
    """The URLs in ``html`` that point off the machine (http(s)://, //host/...)."""
    parser = References()
    parser.feed(html)
    return sorted({u for u in parser.urls if is_external(u)})


def local_references(html: str) -> list[str]:
    """The relative URLs in ``html`` (path part only), for checking that they exist."""
    parser = References()
    parser.feed(html)
    paths = []
    for url in parser.urls:
        if is_external(url) or url.startswith(("data:", "#", "mailto:", "javascript:", "about:")):
            continue
        path = url.split("#")[0].split("?")[0]
        if path:
            paths.append(path)
    return sorted(set(paths))

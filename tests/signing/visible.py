"""What a page shows: the ``data-testid``s of elements neither hidden themselves nor inside a hidden one."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Shown(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []  # per open element: hidden (itself or an ancestor)
        self.shown: list[str] = []
        self.hidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        hidden = (bool(self.stack) and self.stack[-1]) or "hidden" in names
        testid = names.get("data-testid")
        if testid:
            (self.hidden if hidden else self.shown).append(testid)
        if tag not in VOID:
            self.stack.append(hidden)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()


def shown_testids(html: str) -> list[str]:
    parser = _Shown()
    parser.feed(html)
    return parser.shown

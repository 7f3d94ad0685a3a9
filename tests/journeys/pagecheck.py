"""Checks run on every page a journey visits: phone width, console, accessibility, screenshots.

``PageWatch`` follows one browser page. ``watch.check("step")`` looks at the page as it is now:

- at 375 px wide nothing scrolls sideways (``scrollWidth <= innerWidth``), with a screenshot;
- at 1280 px, a screenshot and axe-core (vendored, see vendor/README.md): no ``serious`` or
  ``critical`` violation;
- no console error and no uncaught script error since the page was opened.

Problems are collected, not raised, so one page's defect does not hide what the rest of the
journey would show; the journey fixture fails the test with all of them at the end. Every portal
page the browser landed on must have been checked (see ``unchecked``), so a journey cannot visit a
page and skip its checks by accident.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
BLOCKING_IMPACTS = ("serious", "critical")
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# Dokobit's own pages (the emulator's) are not the portal's to fix; the portal page around them is.
NOT_OURS = re.compile(r"^/dokobit-emulator/")

RUN_AXE = """async () => {
  const result = await axe.run(document, {
    resultTypes: ["violations"],
    // Dokobit's frame is another party's page; axe would wait for an answer from it.
    iframes: false,
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 3).map(
      (n) => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n").slice(1).join("; ")
    ),
    count: v.nodes.length,
  }));
}"""

OVERFLOW = """() => {
  const doc = document.documentElement;
  if (doc.scrollWidth <= window.innerWidth) return null;
  // Name the widest elements that stick out, so the report says what to fix.
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && r.width > 0) {
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
        " right=" + Math.round(r.right));
    }
  }
  return {scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth, culprits: out.slice(0, 5)};
}"""


def _path(url: str) -> str:
    return urlsplit(url).path


class PageWatch:
    """Follows one page: its console, its navigations, and the checks run on it."""

    def __init__(self, page: Page, *, name: str, artifacts: Path, javascript: bool = True) -> None:
        self.page = page
        self.javascript = javascript
        self.name = name
        self.artifacts = artifacts
        self.problems: list[str] = []
        self.console_errors: list[str] = []
        self.visited: list[str] = []
        self.checked: set[str] = set()
        self.allowed_console: list[re.Pattern[str]] = []
        self.shots = 0
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        page.on("framenavigated", self._on_navigated)

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} (at {message.location.get('url', '?')})")

    def _on_navigated(self, frame) -> None:
        if frame == self.page.main_frame and frame.url.startswith("http"):
            self.visited.append(frame.url)

    def allow_console_error(self, pattern: str) -> None:
        """A console error the journey causes on purpose (a refused link answers 404, say)."""
        self.allowed_console.append(re.compile(pattern))

    def check(self, step: str) -> None:
        """Run every page check on the page as it is now; record what fails."""
        page = self.page
        url = page.url
        where = f"[{self.name}] {step} ({_path(url)})"
        page.wait_for_load_state("load")
        self.checked.add(_path(url))
        self._check(page, where, step)
        self._take_console(where)

    def _check(self, page: Page, where: str, step: str) -> None:
        self.shots += 1
        safe_step = re.sub(r"[^\w.-]+", "_", step)
        stem = f"{self.shots:02d}-{self.name}-{safe_step}"
        self.artifacts.mkdir(parents=True, exist_ok=True)

        original = page.viewport_size or WIDE
        page.set_viewport_size(PHONE)
        overflow = page.evaluate(OVERFLOW)
        page.screenshot(path=str(self.artifacts / f"{stem}-375.png"), full_page=True)
        if overflow:
            self.problems.append(
                f"{where}: scrolls sideways at 375 px (scrollWidth {overflow['scrollWidth']} > "
                f"{overflow['innerWidth']}): {', '.join(overflow['culprits'])}"
            )
        page.set_viewport_size(WIDE)
        page.screenshot(path=str(self.artifacts / f"{stem}-1280.png"), full_page=True)

        for violation in self._axe_violations(page):
            if violation["impact"] in BLOCKING_IMPACTS:
                nodes = " | ".join(violation["nodes"])
                self.problems.append(
                    f"{where}: axe {violation['impact']} {violation['id']} ({violation['help']}), "
                    f"{violation['count']} element(s): {nodes}"
                )
        page.set_viewport_size(original)

    def _axe_violations(self, page: Page) -> list[dict]:
        if self.javascript:
            if not page.evaluate("() => typeof window.axe === 'object'"):
                # Evaluated through the DevTools protocol: the page's own CSP still refuses inline scripts.
                page.evaluate(AXE_SOURCE)
            return page.evaluate(RUN_AXE)
        # axe cannot run in a page whose scripts are off (its timers never fire). It runs on a copy
        # of the page as this browser shows it: <noscript> content shown, scripts left out.
        html = page.content()
        html = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.DOTALL | re.IGNORECASE)
        html = re.sub(r"<(/?)noscript\b", r"<\1div", html, flags=re.IGNORECASE)
        context = page.context.browser.new_context(viewport=WIDE)
        try:
            mirror = context.new_page()
            url = page.url
            mirror.route(url, lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"))
            mirror.goto(url)
            mirror.evaluate(AXE_SOURCE)
            return mirror.evaluate(RUN_AXE)
        finally:
            context.close()

    def _take_console(self, where: str) -> None:
        errors, self.console_errors = self.console_errors, []
        for error in errors:
            if not any(pattern.search(error) for pattern in self.allowed_console):
                self.problems.append(f"{where}: console error: {error}")

    def unchecked(self) -> list[str]:
        """Portal pages the browser landed on that no check looked at."""
        return sorted(
            {_path(url) for url in self.visited if not NOT_OURS.match(_path(url))} - self.checked,
        )

    def finish(self) -> list[str]:
        """Everything wrong with the pages this watch followed."""
        self._take_console(f"[{self.name}] after the last check")
        problems = list(self.problems)
        problems += [f"[{self.name}] visited without page checks: {path}" for path in self.unchecked()]
        return problems

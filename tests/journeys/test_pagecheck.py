"""The page checks themselves: each defect they exist for is reported, a sound page passes."""

from __future__ import annotations

import pytest

from tests.journeys.pagecheck import PageWatch

pytestmark = pytest.mark.browser

ORIGIN = "http://checks.test"
SOUND = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Sound</title></head>
<body><main><h1>A sound page</h1><p>Nothing wrong here.</p><button type="button">Go</button></main></body></html>"""
FLAWED = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Flawed</title></head>
<body><main><h1>A flawed page</h1><div id="wide" style="width: 700px">Too wide for a phone</div>
<button type="button"></button>
<script>console.error("something broke");</script></main></body></html>"""


@pytest.fixture
def served(browser, tmp_path):
    """``served(html, javascript=True)``: a page showing ``html`` at checks.test, with its watch."""
    contexts = []

    def open_page(html: str, *, javascript: bool = True):
        context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 800})
        contexts.append(context)
        page = context.new_page()
        page.route(f"{ORIGIN}/**", lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"))
        watch = PageWatch(page, name="check", artifacts=tmp_path, javascript=javascript)
        page.goto(f"{ORIGIN}/page/")
        return watch

    yield open_page
    for context in contexts:
        context.close()


def test_a_sound_page_passes(served):
    watch = served(SOUND)
    watch.check("sound")
    assert watch.finish() == []


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_sideways_scroll_an_unnamed_button_and_a_console_error_are_reported(served, javascript):
    watch = served(FLAWED, javascript=javascript)
    watch.check("flawed")
    problems = "\n".join(watch.finish())
    assert "scrolls sideways at 375 px" in problems
    assert "div#wide" in problems
    assert "axe critical button-name" in problems
    if javascript:
        assert "console error: something broke" in problems
    else:
        assert "console error" not in problems


def test_a_page_visited_without_checks_is_reported(served):
    watch = served(SOUND)
    watch.check("first")
    watch.page.goto(f"{ORIGIN}/other/")
    assert watch.finish() == ["[check] visited without page checks: /other/"]


def test_an_allowed_console_error_is_not_reported(served):
    watch = served(FLAWED)
    watch.allow_console_error("something broke")
    watch.check("flawed")
    assert not [p for p in watch.finish() if "console error" in p]

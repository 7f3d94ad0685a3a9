"""The status poll of the document page and the signer's pages (static/js/poll.js) in Chromium.

The scripts run on a stand-in page (routed, no server): only the asking is under test, so the
status endpoint's answers are chosen here and every request to it is counted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "static" / "js"
ORIGIN = "https://portal.test"
STATUS_URL = f"{ORIGIN}/status"
INTERVAL_MS = 3000


def _document_page() -> str:
    config = json.dumps({"url": STATUS_URL, "final": False})
    return (
        '<!doctype html><html><body><p id="signing-status">Waiting for signatures</p>'
        f'<script id="signing-status-config" type="application/json">{config}</script>'
        '<script src="/js/poll.js" defer></script><script src="/js/signing-status.js" defer></script>'
        "</body></html>"
    )


def _signer_page() -> str:
    config = json.dumps({"statusUrl": STATUS_URL, "doneUrl": f"{ORIGIN}/done"})
    return (
        f'<!doctype html><html><body><script id="sign-config" type="application/json">{config}</script>'
        '<script src="/js/poll.js" defer></script><script src="/js/signer-sign.js" defer></script>'
        "</body></html>"
    )


@pytest.fixture
def stand_in(browser):
    """A page on a routed origin whose status answers come from ``answers`` (the last one repeats)."""
    context = browser.new_context(locale="en-GB")
    asked: list[str] = []
    answers: list[tuple[int, dict]] = []
    pages = {"/document": _document_page(), "/signer": _signer_page(), "/done": "<p>done</p>"}

    def handle(route):
        path = route.request.url.removeprefix(ORIGIN)
        if path.startswith("/js/"):
            route.fulfill(body=(STATIC / path.removeprefix("/js/")).read_text(), content_type="text/javascript")
        elif path == "/status":
            asked.append(path)
            status, body = answers[min(len(asked), len(answers)) - 1]
            route.fulfill(status=status, body=json.dumps(body), content_type="application/json")
        else:
            route.fulfill(body=pages[path], content_type="text/html")

    context.route(f"{ORIGIN}/**", handle)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.clock.install()
    yield page, asked, answers
    context.close()


def _tick(page, times: int = 1) -> None:
    """Let ``times`` poll intervals pass, each long enough for its request to be answered."""
    for _ in range(times):
        page.clock.run_for(INTERVAL_MS)
        page.wait_for_timeout(150)


def test_the_document_page_stops_asking_once_the_signing_has_ended(stand_in):
    page, asked, answers = stand_in
    answers += [(200, {"final": False}), (200, {"final": True, "status_label": "Signed"})]
    page.goto(f"{ORIGIN}/document")

    _tick(page, 5)

    assert page.locator("#signing-status").text_content() == "Signed"
    assert len(asked) == 2


def test_the_document_page_stops_asking_when_the_status_answers_an_error(stand_in):
    page, asked, answers = stand_in
    answers += [(200, {"final": False}), (500, {"status": "error"})]
    page.goto(f"{ORIGIN}/document")

    _tick(page, 6)

    # Before, a failing endpoint was asked every three seconds for as long as the page was open.
    assert len(asked) == 2
    assert page.locator("#signing-status").text_content() == "Waiting for signatures"


def test_the_document_page_stops_asking_after_twenty_minutes(stand_in):
    page, asked, answers = stand_in
    answers.append((200, {"final": False}))
    page.goto(f"{ORIGIN}/document")
    _tick(page, 2)
    assert len(asked) == 2

    page.clock.fast_forward("21:00")
    page.wait_for_timeout(150)
    before = len(asked)
    _tick(page, 5)

    assert len(asked) == before


def test_the_signer_page_stops_asking_when_the_status_refuses(stand_in):
    page, asked, answers = stand_in
    answers.append((403, {"status": "error", "error": "unavailable"}))
    page.goto(f"{ORIGIN}/signer")

    _tick(page, 5)

    assert len(asked) == 1
    assert page.url == f"{ORIGIN}/signer"


def test_the_signer_page_goes_on_once_the_signature_is_recorded(stand_in):
    page, asked, answers = stand_in
    answers += [(200, {"signed": False}), (200, {"signed": True})]
    page.goto(f"{ORIGIN}/signer")

    _tick(page, 3)

    page.wait_for_url(f"{ORIGIN}/done")
    assert len(asked) == 2

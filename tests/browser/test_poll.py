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


def _identity_page() -> str:
    config = json.dumps(
        {
            "createUrl": f"{ORIGIN}/create",
            "completeUrl": STATUS_URL,
            "params": {"purpose": "login"},
            "csrf": "x",
            "messages": {"failed": "Identification did not succeed.", "network": "No connection."},
        }
    )
    return (
        '<!doctype html><html><body><div data-identity-flow><div data-testid="identity-message" hidden></div>'
        "<button data-identity-start hidden>Log in</button><button data-identity-retry hidden>Try again</button>"
        '<div id="Dokobit-identity-container"></div>'
        f'<script id="identity-gateway-config" type="application/json">{config}</script></div>'
        '<script src="/js/poll.js" defer></script><script src="/js/identity-gateway.js" defer></script>'
        "</body></html>"
    )


@pytest.fixture
def stand_in(browser):
    """A page on a routed origin whose status answers come from ``answers`` (the last one repeats)."""
    context = browser.new_context(locale="en-GB")
    asked: list[str] = []
    answers: list[tuple[int, dict]] = []
    pages = {
        "/document": _document_page(),
        "/signer": _signer_page(),
        "/identity": _identity_page(),
        "/done": "<p>done</p>",
    }

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


def _widget_reports_back(page) -> None:
    # What the widget does when the person is done: the page then asks the portal for the verdict.
    page.evaluate(
        "document.getElementById('Dokobit-identity-container').dispatchEvent(new CustomEvent('dokobit-identity:error'))"
    )


def test_the_eid_page_asks_for_the_verdict_until_it_is_known(stand_in):
    page, asked, answers = stand_in
    answers += [(202, {"status": "waiting"}), (200, {"status": "ok", "redirect": f"{ORIGIN}/done"})]
    page.goto(f"{ORIGIN}/identity")

    _widget_reports_back(page)
    page.wait_for_timeout(150)
    _tick(page, 2)

    page.wait_for_url(f"{ORIGIN}/done")
    assert len(asked) == 2


def test_the_eid_page_gives_up_waiting_after_five_minutes_and_offers_a_retry(stand_in):
    page, asked, answers = stand_in
    answers.append((202, {"status": "waiting"}))
    page.goto(f"{ORIGIN}/identity")
    _widget_reports_back(page)
    page.wait_for_timeout(150)
    _tick(page, 2)

    page.clock.fast_forward("06:00")
    page.wait_for_timeout(150)
    before = len(asked)
    _tick(page, 5)

    assert len(asked) == before
    assert page.get_by_test_id("identity-message").text_content() == "Identification did not succeed."
    assert page.locator("[data-identity-retry]").is_visible()


def test_the_eid_page_stops_and_says_so_when_the_portal_cannot_be_reached(stand_in):
    page, _asked, _answers = stand_in
    page.goto(f"{ORIGIN}/identity")
    refused: list[str] = []

    def unreachable(route):
        refused.append(route.request.url)
        route.abort()

    page.context.route(STATUS_URL, unreachable)

    _widget_reports_back(page)
    page.wait_for_timeout(150)
    _tick(page, 3)

    assert len(refused) == 1
    assert page.get_by_test_id("identity-message").text_content() == "No connection."
    assert page.locator("[data-identity-retry]").is_visible()

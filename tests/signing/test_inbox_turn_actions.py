"""The inbox in a signing in order: the badge counts only what the person can act on now, a
document whose turn has not come offers no decline (and refuses a forged one), and declining from
the inbox leads back to the inbox with a confirmation (from the e-mailed link, back to the link)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from signing.models import Signer, Signing, SigningEvent, SigningOrder
from tests.signing.helpers import link, make_document, verify_in_session
from tests.signing.inbox_people import alice_signer, bob_signer, logged_in

pytestmark = pytest.mark.django_db

INBOX = "/inbox/"


def in_order(document, *groups):
    """Make ``document`` a signing one after another, its signers (by position) in ``groups``."""
    document.signing_order = SigningOrder.SEQUENTIAL
    document.save(update_fields=["signing_order"])
    for signer, group in zip(document.signers.order_by("position"), groups, strict=True):
        Signer.objects.filter(pk=signer.pk).update(order_group=group)
    return document


def badge(client: Client) -> str | None:
    html = client.get(INBOX).content.decode()
    marker = 'data-testid="nav-inbox-count" aria-hidden="true">'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split("<", 1)[0]


def decline_url(signer: Signer, *, from_inbox: bool = False) -> str:
    url = reverse("signing:signer_decline", kwargs={"signer_uuid": signer.uuid})
    return f"{url}?from=inbox" if from_inbox else url


@pytest.fixture
def later_and_now(alice, bob, owners):
    """Alice signs "Later" after Bob (not her turn), "Now" first (her turn)."""
    later = in_order(make_document(owners[0], title="Later", signers=[bob_signer(), alice_signer()]), 1, 2)
    Signer.objects.filter(document=later, country_code="LV").update(first_name="Bob", last_name="Earlier")
    now = in_order(make_document(owners[1], title="Now", signers=[alice_signer(), bob_signer()]), 1, 2)
    return later.signers.get(country_code="LT"), now.signers.get(country_code="LT")


def test_the_badge_counts_only_the_documents_whose_turn_has_come(alice, later_and_now, owners):
    client = logged_in(alice)
    assert badge(client) == "1"
    # The list still shows both, the later one as waiting for the signer before her.
    html = client.get(INBOX).content.decode()
    assert ">Later<" in html
    assert ">Now<" in html
    assert "After Bob Earlier" in html

    # A document signed all at once counts at once.
    make_document(owners[0], title="At once", signers=[alice_signer(), bob_signer()])
    assert badge(client) == "2"

    # Bob signs "Later": now it is Alice's turn there too.
    Signer.objects.filter(document__title="Later", country_code="LV").update(status=Signer.Status.SIGNED)
    assert badge(client) == "3"

    # A signing that failed waits for staff: still listed, nothing to do yet.
    Signing.objects.filter(document__title="At once").update(status=Signing.Status.FAILED)
    assert badge(client) == "2"
    assert ">At once<" in client.get(INBOX).content.decode()


def test_ordered_groups_count_everyone_of_the_group_whose_turn_it_is(alice, bob, owners):
    document = make_document(owners[0], title="Groups", signers=[bob_signer(), alice_signer()])
    document.signing_order = SigningOrder.GROUPS
    document.save(update_fields=["signing_order"])
    Signer.objects.filter(document=document).update(order_group=1)
    assert badge(logged_in(alice)) == "1"
    assert badge(logged_in(bob)) == "1"


def test_a_row_whose_turn_has_not_come_offers_no_decline(alice, later_and_now):
    later, now = later_and_now
    html = logged_in(alice).get(INBOX).content.decode()
    assert decline_url(later) not in html
    assert f'href="{decline_url(now, from_inbox=True)}"' in html
    assert html.count('data-testid="inbox-decline"') == 1


@pytest.mark.parametrize("from_inbox", [True, False])
def test_declining_before_the_turn_is_refused_with_the_waiting_page(alice, later_and_now, from_inbox):
    later, _ = later_and_now
    client = logged_in(alice)

    shown = client.get(decline_url(later, from_inbox=from_inbox))
    forged = client.post(decline_url(later, from_inbox=from_inbox), {"reason": "Not for me"})

    for answer in (shown, forged):
        html = answer.content.decode()
        assert answer.status_code == 403
        assert "It is not your turn to sign yet" in html
        assert "You will be asked to sign after Bob Earlier." in html
        assert "You can decline this document once it is your turn to sign." in html
        assert 'data-testid="back-to-inbox"' in html
        assert "Later" not in html.split("<main", 1)[1]  # not even the title, like the link's waiting page
        assert 'name="reason"' not in html
    later.refresh_from_db()
    assert later.status == Signer.Status.PENDING
    assert later.decline_reason == ""
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.SIGNER_DECLINED).exists()


def test_a_forged_decline_through_a_verified_link_before_the_turn_is_refused_too(later_and_now):
    later, _ = later_and_now
    client = Client()
    verify_in_session(client, later)

    forged = client.post(decline_url(later), {"reason": "Not for me"})

    assert forged.status_code == 403
    assert "It is not your turn to sign yet" in forged.content.decode()
    assert 'data-testid="back-to-inbox"' not in forged.content.decode()  # nobody logged in
    assert Signer.objects.get(pk=later.pk).status == Signer.Status.PENDING


def test_the_service_refuses_a_decline_before_the_turn(later_and_now):
    from signing import declines
    from signing.errors import SigningNotAllowed

    later, _ = later_and_now
    with pytest.raises(SigningNotAllowed, match="not your turn yet"):
        declines.signer_decline(signer=later, reason="No")
    assert Signer.objects.get(pk=later.pk).status == Signer.Status.PENDING


def test_declining_from_the_inbox_lands_back_in_the_inbox_with_a_confirmation(alice, later_and_now):
    _, now = later_and_now
    client = logged_in(alice)
    page = client.get(decline_url(now, from_inbox=True))
    assert page.status_code == 200
    assert f'href="{reverse("signing:signer-landing", kwargs={"token": now.uuid})}"' in page.content.decode()

    answer = client.post(decline_url(now, from_inbox=True), {"reason": "Wrong company"}, follow=True)

    assert answer.redirect_chain == [(INBOX, 302)]
    html = answer.content.decode()
    assert "You declined to sign “Now”. Oskar Sender has been told." in html
    assert ">Now<" not in html.split('data-testid="inbox-waiting"', 1)[-1]
    assert Signer.objects.get(pk=now.pk).status == Signer.Status.DECLINED


def test_declining_from_the_e_mailed_link_still_lands_on_the_link(later_and_now):
    _, now = later_and_now
    Signer.objects.filter(pk=now.pk).update(language="en")
    client = Client()
    verify_in_session(client, now)

    # The inbox's marker does not change where a link's signer (not logged in) lands.
    answer = client.post(decline_url(now, from_inbox=True), {"reason": "Wrong company"})

    assert answer.status_code == 302
    assert answer["Location"] == link(now)
    assert Signer.objects.get(pk=now.pk).status == Signer.Status.DECLINED

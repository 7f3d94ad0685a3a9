"""PF3: pages that must not grow with what they show, small vs large, on PostgreSQL.

- The document page: 20 signers, 500 events and a 50 MB PDF next to 3 signers, no events and a
  small PDF (both previews already made, as after the first view).
- The owner's document list at 10 and 10,000 documents, and the admin document list at one page
  (20) and 100,000 (its filters recorded beside it).
- The signer's inbox (issue 16) of a person with 10 waiting documents among 10 signers, then among
  ``BENCH_PF3_INBOX_SIGNERS`` (default 1,000,000) signers of other people. ``BENCH_PF3_PARTS``
  (default ``owner,admin,inbox``; the owner and admin parts run together) picks the parts, so the
  inbox can be run alone, e.g. at a small size:
  ``BENCH_PF3_PARTS=inbox BENCH_PF3_INBOX_SIGNERS=20000 make bench BENCH=pf3``.
- An organisation's document list and members page: 10 documents and 10 members vs 10,000
  documents and 50 members, seen by its admin working in it.

Queries are counted with a connection wrapper; render time is the median of repeated requests
through Django's test client; memory is the peak traced by tracemalloc during one view. Rows are
bulk-inserted in SQL. Goals (issue 19): time ratio <= 1.5, the same query count (<= 10), memory per
view independent of the file's size (here: within 1 MiB of the small document's).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import time
import tracemalloc

from bench.common import bench_main, django_setup, goal, median, migrate, private_database, run_inner, sized

REPEATS = sized(30, 3)
MANY_DOCUMENTS = sized(10_000, 50)
ADMIN_DOCUMENTS = sized(100_000, 200)
BIG_FILE_MB = sized(50, 1)
BIG_SIGNERS, BIG_EVENTS = 20, sized(500, 50)
INBOX_SIGNERS = sized(int(os.environ.get("BENCH_PF3_INBOX_SIGNERS", "1000000")), 500)
PARTS = set(os.environ.get("BENCH_PF3_PARTS", "owner,admin,inbox").split(","))
ORG_DOCUMENTS, ORG_MEMBERS = sized(10_000, 50), sized(50, 12)
MB = 1024 * 1024


def _pdf(extra_bytes: int = 0) -> bytes:
    """A real one-page PDF; ``extra_bytes`` of incompressible data ride along as an attachment."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if extra_bytes:
        writer.add_attachment("data.bin", os.urandom(extra_bytes))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF = _pdf()


def _measure(client, url: str) -> dict:
    from django.db import connection

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    queries = []

    # request_started clears connection.queries, so the queries are counted with a wrapper instead.
    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    tracemalloc.start()
    client.get(url)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return {"queries": len(queries), "median_ms": round(median(times) * 1000, 2), "peak_mib": round(peak / MB, 2)}


def _owner_with_documents(name: str, count: int, *, personal_code: str | None = None):
    from bench.seed import clone
    from identity.models import User
    from portal.crypto import encrypt_text
    from signing.models import Document, Signer, Signing
    from signing.selectors import token_hash

    owner = User.objects.create_user(
        country_code="LT", personal_code=personal_code or f"5000101{count:04d}", first_name=name, last_name="Owner"
    )
    from django.core.files.base import ContentFile

    doc = Document(owner=owner, title=f"{name} 0", sha256=hashlib.sha256(PDF).hexdigest(), size=len(PDF))
    doc.file.save("x.pdf", ContentFile(PDF), save=False)
    doc.save()
    signing = Signing.objects.create(document=doc, status=Signing.Status.PENDING, dokobit_token=f"{name}-tok-0")
    signers = []
    for position in range(3):
        signer = Signer(
            document=doc,
            signing=signing,
            position=position,
            country_code="LT",
            first_name=f"Signer{position}",
            last_name="Person",
            email=f"s{position}@example.test",
            dokobit_signer_id=f"{name}-0-{position}",
            link_token_hash=token_hash(f"{name}-0-{position}"),
            link_token_encrypted=encrypt_text(f"{name}-0-{position}"),
        )
        signer.set_personal_code("LT", f"3900101{position:04d}")
        signer.save()
        signers.append(signer)
    if count > 1:
        n = count - 1
        clone(
            Document,
            doc.pk,
            n,
            {
                "uuid": "gen_random_uuid()",
                "title": f"'{name} ' || g",
                "created_at": "t.created_at - g * interval '1 minute'",
            },
        )
        base_doc = doc.pk
        clone(
            Signing,
            signing.pk,
            n,
            {
                "uuid": "gen_random_uuid()",
                "document_id": f"{base_doc} + g",
                # Unique like a real token's keyed hash; the encrypted token is the template's.
                "dokobit_token_lookup": f"md5('{name}-tok-' || g)",
            },
        )
        for signer in signers:
            clone(
                Signer,
                signer.pk,
                n,
                {
                    "uuid": "gen_random_uuid()",
                    "document_id": f"{base_doc} + g",
                    "signing_id": f"{signing.pk} + g",
                    "dokobit_signer_id": f"'{name}-' || g || '-{signer.position}'",
                    "link_token_hash": f"md5('{name}-' || g || '-{signer.position}') || md5(g::text)",
                },
            )
    return owner


def _document_with(owner, *, title: str, signers: int, events: int, pdf: bytes):
    """One pending document of ``owner`` with ``signers`` signers and ``events`` history events."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from portal.crypto import encrypt_text
    from signing.models import Document, Signer, Signing, SigningEvent
    from signing.selectors import token_hash

    doc = Document(owner=owner, title=title, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf))
    doc.file.save(f"{title}.pdf", ContentFile(pdf), save=False)
    doc.save()
    signing = Signing.objects.create(document=doc, status=Signing.Status.PENDING, dokobit_token=f"{title}-tok")
    for position in range(signers):
        signer = Signer(
            document=doc,
            signing=signing,
            position=position,
            first_name=f"Signer{position}",
            last_name="Person",
            email=f"s{position}@example.test",
            dokobit_signer_id=f"{title}-{position}",
            link_token_hash=token_hash(f"{title}-{position}"),
            link_token_encrypted=encrypt_text(f"{title}-{position}"),
        )
        signer.set_personal_code("LT", f"3900101{position:04d}")
        signer.save()
    now = timezone.now()
    SigningEvent.objects.bulk_create(
        SigningEvent(document=doc, signing=signing, kind=SigningEvent.Kind.REMINDER_SENT, created_at=now)
        for _ in range(events)
    )
    return doc


def _compare(a: dict, b: dict, *, memory: bool = False) -> dict:
    out = {
        "queries_equal": a["queries"] == b["queries"],
        "queries_at_most_10": b["queries"] <= 10,
        "time_ratio": round(b["median_ms"] / a["median_ms"], 2),
    }
    if memory:
        out["extra_peak_mib"] = round(b["peak_mib"] - a["peak_mib"], 2)
    return out


def _page_goals(label: str, ratio: dict) -> list[dict]:
    goals = [
        goal(
            "PF3", f"{label}: time ratio", measured=ratio["time_ratio"], target="<= 1.5", met=ratio["time_ratio"] <= 1.5
        ),
        goal(
            "PF3",
            f"{label}: same query count, at most 10",
            measured=ratio["queries_equal"] and ratio["queries_at_most_10"],
            target="true",
            met=ratio["queries_equal"] and ratio["queries_at_most_10"],
        ),
    ]
    if "extra_peak_mib" in ratio:
        goals.append(
            goal(
                "PF3",
                f"{label}: extra memory per view, MiB",
                measured=ratio["extra_peak_mib"],
                target="<= 1",
                met=ratio["extra_peak_mib"] <= 1,
            )
        )
    return goals


def _inbox_person(waiting: int):
    """A person with ``waiting`` documents waiting for their signature (one owner); their signer row."""
    from django.core.files.base import ContentFile

    from bench.seed import clone
    from identity.models import User
    from portal.crypto import encrypt_text
    from signing.models import Document, Signer, Signing
    from signing.selectors import token_hash

    owner = User.objects.create_user(
        country_code="EE", personal_code="38001019999", first_name="Inbox", last_name="Owner"
    )
    person = User.objects.create_user(
        country_code="LT", personal_code="39001019999", first_name="Inbox", last_name="Person"
    )
    doc = Document(owner=owner, title="inbox 0", sha256=hashlib.sha256(PDF).hexdigest(), size=len(PDF))
    doc.file.save("x.pdf", ContentFile(PDF), save=False)
    doc.save()
    signing = Signing.objects.create(document=doc, status=Signing.Status.PENDING, dokobit_token="inbox-tok-0")
    signer = Signer(
        document=doc,
        signing=signing,
        first_name="Inbox",
        last_name="Person",
        email="inbox@example.test",
        dokobit_signer_id="inbox-0",
        link_token_hash=token_hash("inbox-0"),
        link_token_encrypted=encrypt_text("inbox-0"),
    )
    signer.set_personal_code("LT", "39001019999")
    signer.save()
    n = waiting - 1
    clone(Document, doc.pk, n, {"uuid": "gen_random_uuid()", "title": "'inbox ' || g"})
    clone(
        Signing,
        signing.pk,
        n,
        {"uuid": "gen_random_uuid()", "document_id": f"{doc.pk} + g", "dokobit_token_lookup": "md5('inbox-tok-' || g)"},
    )
    clone(
        Signer,
        signer.pk,
        n,
        {
            "uuid": "gen_random_uuid()",
            "document_id": f"{doc.pk} + g",
            "signing_id": f"{signing.pk} + g",
            "dokobit_signer_id": "'inbox-' || g",
            "link_token_hash": "md5('inbox-' || g) || md5(g::text)",
        },
    )
    return person, signer


def _inbox(filler: int) -> tuple[dict, list[dict]]:
    """The inbox page of a person with 10 waiting documents: among 10 signers, then among ``filler`` more."""
    from django.db import connection
    from django.test import Client

    from bench.seed import clone
    from signing.models import Signer

    person, template = _inbox_person(10)
    client = Client()
    client.force_login(person)
    small = {"signers_total": Signer.objects.count(), "inbox": _measure(client, "/inbox/")}
    # Other people's signers (waiting, signed, removed): the same document, each their own person.
    clone(
        Signer,
        template.pk,
        filler,
        {
            "uuid": "gen_random_uuid()",
            "country_code": "CASE g %% 3 WHEN 0 THEN 'LT' WHEN 1 THEN 'LV' ELSE 'EE' END",
            "pc_lookup": "md5('person-' || g) || md5('code-' || g)",
            "status": "CASE g %% 4 WHEN 0 THEN 'signed' WHEN 1 THEN 'removed' ELSE 'pending' END",
            "dokobit_signer_id": "'filler-' || g",
            "link_token_hash": "md5('filler-' || g) || md5('link-' || g)",
        },
    )
    # Settle the table first: autovacuum's pass over a million fresh rows would otherwise run
    # during the timing and measure the machine's spare CPU rather than the page.
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(Signer._meta.db_table)}")
    large = {"signers_total": Signer.objects.count(), "inbox": _measure(client, "/inbox/")}
    ratio = _compare(small["inbox"], large["inbox"])
    figures = {"small": small, "large": large, "ratio": ratio}
    return figures, _page_goals(f"signer's inbox, 10 waiting among {large['signers_total']} vs 10 signers", ratio)


def _organisation_with_documents(name: str, documents: int, members: int):
    """An organisation whose admin created ``documents`` documents in it, with ``members`` members in all."""
    from identity.models import User
    from organisations.models import Membership, Role
    from organisations.services import organisation_create
    from signing.models import Document

    admin = _owner_with_documents(name, documents, personal_code=f"4900101{documents:04d}")
    organisation = organisation_create(creator=admin, name=name, registration_code="1", country_code="LT")
    Document.objects.filter(owner=admin).update(organisation=organisation)
    people = [
        User.objects.create_user(country_code="LV", personal_code=f"{name}-{n}", first_name=f"M{n}", last_name="B")
        for n in range(members - 1)
    ]
    Membership.objects.bulk_create(Membership(organisation=organisation, user=p, role=Role.MEMBER) for p in people)
    return organisation, admin


def _organisation_pages() -> dict:
    """The organisation's pages as its admin sees them, working in it (the space switcher's session)."""
    from django.test import Client

    results = {}
    for label, documents, members in (
        ("10_documents_10_members", 10, 10),
        (f"{ORG_DOCUMENTS}_documents_{ORG_MEMBERS}_members", ORG_DOCUMENTS, ORG_MEMBERS),
    ):
        organisation, admin = _organisation_with_documents(f"org{documents}", documents, members)
        client = Client()
        client.force_login(admin)
        assert client.post("/space/", {"space": str(organisation.uuid)}).status_code == 302
        results[label] = {
            "document_list": _measure(client, "/documents/"),
            "members": _measure(client, f"/organisations/{organisation.uuid}/members/"),
        }
    return results


def inner() -> dict:
    django_setup()
    migrate()
    if not PARTS & {"owner", "admin"}:
        inbox, goals = _inbox(INBOX_SIGNERS)
        return {"inbox": inbox, "goals": goals}
    from django.test import Client
    from django.urls import reverse

    from bench.seed import clone
    from identity.models import User
    from signing.models import Document

    admin = User.objects.create_superuser("bench-admin", "bench-admin-pw")
    admin_client = Client()
    admin_client.force_login(admin)
    admin_list = reverse("admin:signing_document_changelist")

    # The document page: small vs grown, both viewed once first (previews made).
    pages_owner = User.objects.create_user(
        country_code="LT", personal_code="50001019992", first_name="P", last_name="O"
    )
    small_doc = _document_with(pages_owner, title="small-doc", signers=3, events=0, pdf=PDF)
    big_doc = _document_with(
        pages_owner, title="big-doc", signers=BIG_SIGNERS, events=BIG_EVENTS, pdf=_pdf(BIG_FILE_MB * MB)
    )
    client = Client()
    client.force_login(pages_owner)
    document_page = {}
    for label, doc in (("3_signers_0_events_small_file", small_doc), ("grown", big_doc)):
        document_page[label] = _measure(client, f"/documents/{doc.uuid}/")
    document_page["grown_is"] = f"{BIG_SIGNERS} signers, {BIG_EVENTS} events, a {BIG_FILE_MB} MB file"

    small = _owner_with_documents("small", 10)
    # The admin list against itself: one full page of rows (list_per_page) vs the same page of a
    # large table, so that what is compared is the table's size, not how many rows are drawn.
    from signing.admin import DocumentAdmin

    _owner_with_documents("admin-page", DocumentAdmin.list_per_page - Document.objects.count())
    admin_small = _measure(admin_client, admin_list)
    large = _owner_with_documents("large", MANY_DOCUMENTS)
    lists = {}
    for label, owner in (("10_documents", small), (f"{MANY_DOCUMENTS}_documents", large)):
        client = Client()
        client.force_login(owner)
        lists[label] = _measure(client, "/documents/")
    organisation_pages = _organisation_pages()
    filler = Document.objects.filter(owner=large).order_by("pk").first()
    clone(
        Document,
        filler.pk,
        max(0, ADMIN_DOCUMENTS - Document.objects.count()),
        {"uuid": "gen_random_uuid()", "title": "'filler ' || g"},
    )
    admin_large = _measure(admin_client, admin_list)
    # The admin's filters on the large table (no goal of their own; they must stay index-driven).
    filtered = {
        name: _measure(admin_client, f"{admin_list}?{query}")
        for name, query in (
            ("status_pending", "signing_status=pending"),
            ("needs_attention", "needs_attention=yes"),
            ("copy_expires_within_7_days", "copy_expires_within=7"),
        )
    }
    ratios = {
        "document_page": _compare(document_page["3_signers_0_events_small_file"], document_page["grown"], memory=True),
        "document_list": _compare(lists["10_documents"], lists[f"{MANY_DOCUMENTS}_documents"]),
        "admin_document_list": _compare(admin_small, admin_large),
        **{
            f"organisation_{page}": _compare(
                organisation_pages["10_documents_10_members"][page],
                organisation_pages[f"{ORG_DOCUMENTS}_documents_{ORG_MEMBERS}_members"][page],
            )
            for page in ("document_list", "members")
        },
    }
    goals = [
        *_page_goals(
            f"document page, {document_page['grown_is']} vs 3 signers, 0 events, small file", ratios["document_page"]
        ),
        *_page_goals(f"owner's document list, {MANY_DOCUMENTS} vs 10 documents", ratios["document_list"]),
        *_page_goals(
            f"admin document list, {ADMIN_DOCUMENTS} vs {DocumentAdmin.list_per_page} documents (one page)",
            ratios["admin_document_list"],
        ),
        *_page_goals(
            f"organisation's document list, {ORG_DOCUMENTS} documents and {ORG_MEMBERS} members vs 10 and 10",
            ratios["organisation_document_list"],
        ),
        *_page_goals(f"organisation's members page, {ORG_MEMBERS} vs 10 members", ratios["organisation_members"]),
    ]
    out = {
        "document_page": document_page,
        "owner_document_list": lists,
        "admin_document_list": {
            f"{DocumentAdmin.list_per_page}_documents_one_page": admin_small,
            f"{ADMIN_DOCUMENTS}_documents": admin_large,
        },
        "admin_document_list_filtered": filtered,
        "organisation_pages": organisation_pages,
        "ratios": ratios,
        "documents_total": Document.objects.count(),
        "goals": goals,
    }
    if "inbox" in PARTS:
        out["inbox"], inbox_goals = _inbox(INBOX_SIGNERS)
        goals += inbox_goals
    return out


def main() -> dict:
    with private_database("bench_pf3") as url:
        media = tempfile.mkdtemp(prefix="bench-media-")
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_MEDIA_ROOT": media}
        try:
            return run_inner("bench.pf3_pages", env=env, timeout=1800)
        finally:
            shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    bench_main("pf3_pages", inner, main)

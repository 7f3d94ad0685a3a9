"""PF3: the owner's document list, the document page, the admin document list and the signer's inbox,
small vs large.

Queries are counted with CaptureQueriesContext; render time is the median of repeated requests
through Django's test client. PostgreSQL, rows bulk-inserted in SQL.

The inbox is measured for a person with 10 waiting documents among 10 signers, then among
``BENCH_PF3_INBOX_SIGNERS`` (default 1,000,000) signers of other people. ``BENCH_PF3_PARTS``
(default ``owner,admin,inbox``; the owner and admin parts run together) picks the parts, so the
inbox can be run alone at a small size:
``BENCH_PF3_PARTS=inbox BENCH_PF3_INBOX_SIGNERS=20000 make bench BENCH=pf3``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time

from bench.common import bench_main, django_setup, median, migrate, private_database, run_inner

REPEATS = 30
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


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
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return {"queries": len(queries), "median_ms": round(median(times) * 1000, 2)}


def _owner_with_documents(name: str, count: int):
    from bench.seed import clone
    from identity.models import User
    from portal.crypto import encrypt_text
    from signing.models import Document, Signer, Signing
    from signing.selectors import token_hash

    owner = User.objects.create_user(
        country_code="LT", personal_code=f"5000101{count:04d}", first_name=name, last_name="Owner"
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


INBOX_SIGNERS = int(os.environ.get("BENCH_PF3_INBOX_SIGNERS", "1000000"))
PARTS = set(os.environ.get("BENCH_PF3_PARTS", "owner,admin,inbox").split(","))


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


def _inbox(filler: int) -> dict:
    """The inbox page of a person with 10 waiting documents: among 10 signers, then among ``filler`` more."""
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
    large = {"signers_total": Signer.objects.count(), "inbox": _measure(client, "/inbox/")}
    a, b = small["inbox"], large["inbox"]
    ratio = {
        "queries_equal": a["queries"] == b["queries"],
        "queries_at_most_10": b["queries"] <= 10,
        "time_ratio": round(b["median_ms"] / a["median_ms"], 2),
    }
    ratio["goal_ok"] = ratio["queries_equal"] and ratio["queries_at_most_10"] and ratio["time_ratio"] <= 1.5
    return {"small": small, "large": large, "ratio": ratio}


def inner() -> dict:
    django_setup()
    migrate()
    if not PARTS & {"owner", "admin"}:
        return {"inbox": _inbox(INBOX_SIGNERS)}
    from django.test import Client

    from bench.seed import clone
    from identity.models import User
    from signing.models import Document

    admin = User.objects.create_superuser("bench-admin", "bench-admin-pw")
    admin_client = Client()
    admin_client.force_login(admin)
    small = _owner_with_documents("small", 10)
    from django.urls import reverse

    admin_list = reverse("admin:signing_document_changelist")
    admin_small = _measure(admin_client, admin_list)
    large = _owner_with_documents("large", 1000)
    results = {}
    for label, owner in (("10_documents", small), ("1000_documents", large)):
        client = Client()
        client.force_login(owner)
        doc = Document.objects.filter(owner=owner).order_by("-created_at").first()
        results[label] = {
            "document_list": _measure(client, "/documents/"),
            "document_page": _measure(client, f"/documents/{doc.uuid}/"),
        }
    filler = Document.objects.filter(owner=large).order_by("pk").first()
    clone(
        Document,
        filler.pk,
        100_000 - Document.objects.count(),
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
    out = {
        "owner_pages": results,
        "admin_document_list": {"10_documents": admin_small, "100000_documents": admin_large},
        "admin_document_list_filtered_100000": filtered,
    }
    ratios = {}
    for page in ("document_list", "document_page"):
        a, b = results["10_documents"][page], results["1000_documents"][page]
        ratios[page] = {
            "queries_equal": a["queries"] == b["queries"],
            "queries_at_most_10": b["queries"] <= 10,
            "time_ratio": round(b["median_ms"] / a["median_ms"], 2),
        }
    ratios["admin_document_list"] = {
        "queries_equal": admin_small["queries"] == admin_large["queries"],
        "queries_at_most_10": admin_large["queries"] <= 10,
        "time_ratio": round(admin_large["median_ms"] / admin_small["median_ms"], 2),
    }
    for value in ratios.values():
        value["goal_ok"] = value["queries_equal"] and value["queries_at_most_10"] and value["time_ratio"] <= 1.5
    out["ratios"] = ratios
    out["documents_total"] = Document.objects.count()
    if "inbox" in PARTS:
        out["inbox"] = _inbox(INBOX_SIGNERS)
    return out


def main() -> dict:
    with private_database("bench_pf3") as url:
        media = tempfile.mkdtemp(prefix="bench-media-")
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_MEDIA_ROOT": media}
        return run_inner("bench.pf3_pages", env=env, timeout=900)
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    bench_main("pf3_pages", inner, main)

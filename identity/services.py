"""eID flows: start an Identity Gateway session, complete it safely, register and find people.

The gateway's session token is a capability. It is kept server-side, bound to the browser session
that started it, completed at most once and only within IDENTITY_SESSION_TTL; the browser never
tells the server which token to complete (security.md T1-T3).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from identity import errors, totp
from identity.dokobit import IdentityAuthenticationFailed, IdentityClient, IdentitySessionClosed, IdentityStatus
from identity.models import IdentitySession, StaffSecondFactor, User
from identity.selectors import browser_session_hash, identity_session_get_for_browser, user_get_by_personal_code
from portal.crypto import decrypt_text, encrypt_text
from portal.http import GatewayError, GatewayUnavailable
from portal.sessions import session_key_reserve

logger = logging.getLogger(__name__)

# Keys in the server-side Django session. They hold IdentitySession ids, never tokens or codes.
SESSION_FLOW_KEY = "identity_flow"
SESSION_REGISTRATION_KEY = "identity_registration"
# The query parameter of the redirect flow's return URL that carries the per-flow secret.
RETURN_SECRET_PARAM = "state"
# How often a request that finds the flow claimed by another one looks for that one's verdict.
CLAIM_POLL_INTERVAL = 0.1
# How long a verified eID result waits for the registration details form.
REGISTRATION_WINDOW = timedelta(minutes=30)
# The columns the one-statement claim names (_claim_current).
_CLAIM_COLUMNS = ("id", "browser_session", "purpose", "outcome", "created_at", "used_at")


@dataclass(frozen=True)
class EidResult:
    """A person as the Identity Gateway proved them. ``identity_session_id`` names the flow."""

    country_code: str
    personal_code: str
    first_name: str
    last_name: str
    authentication_method: str
    identity_session_id: int


@dataclass(frozen=True)
class Waiting:
    """The person has not finished authenticating yet; ask again shortly."""


@dataclass(frozen=True)
class AlreadyCompleted:
    """Another request of the same browser (a double click) completed this flow a moment ago.

    Nothing is logged in by this answer: the other request did that (and set the new session
    cookie) or held the result for the registration form; this one only tells the page to go on.
    """

    purpose: str


def _browser_key(request: HttpRequest) -> tuple[str, bool]:
    # A fresh visitor has no session key yet; the flow must be bound to one. It is drawn now and
    # written with the request's own save (portal.sessions), not in a write of its own.
    return session_key_reserve(request.session)


def _user_error_for(err: GatewayError) -> errors.IdentityError:
    if isinstance(err, GatewayUnavailable):
        return errors.GatewayDown()
    logger.error("identity gateway refused a call: %s", err)
    return errors.GatewayFailure()


def _session_create(
    *,
    request: HttpRequest,
    purpose: str,
    origin_host: str | None = None,
    return_url: str | None = None,
    code: str | None = None,
    country_code: str | None = None,
    reference: str = "",
    return_secret: str = "",
    authentication_methods: list[str] | None = None,
) -> tuple[IdentitySession, str]:
    session_key, new_key = _browser_key(request)
    browser = browser_session_hash(session_key)
    try:
        created = IdentityClient().session_create(
            origin_host=origin_host,
            return_url=return_url,
            code=code,
            country_code=country_code,
            authentication_methods=authentication_methods,
        )
    except GatewayError as err:
        raise _user_error_for(err) from err
    flow = IdentitySession(
        purpose=purpose,
        browser_session=browser,
        reference=reference,
        return_secret=return_secret,
    )
    flow.token = created.session_token  # a property: stored encrypted, found by its keyed hash
    if new_key:
        # A key drawn in this request has no older flow to supersede: only the insert.
        flow.save()
    else:
        with transaction.atomic():
            # One live flow per browser session: a new one makes every older one unusable.
            IdentitySession.objects.filter(browser_session=browser, outcome=IdentitySession.Outcome.PENDING).update(
                outcome=IdentitySession.Outcome.SUPERSEDED
            )
            flow.save()
    request.session[SESSION_FLOW_KEY] = flow.pk
    return flow, created.url


def identity_session_start(
    *,
    request: HttpRequest,
    purpose: str,
    code: str | None = None,
    country_code: str | None = None,
    reference: str = "",
    authentication_methods: list[str] | None = None,
) -> str:
    """Create an embedded-widget session for this browser and return its token for the widget.

    ``authentication_methods`` narrows the eID methods the widget offers (empty: all of Dokobit's).
    """
    flow, _url = _session_create(
        request=request,
        purpose=purpose,
        origin_host=settings.PORTAL_ORIGIN,
        code=code,
        country_code=country_code,
        reference=reference,
        authentication_methods=authentication_methods,
    )
    return flow.token


def _return_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def identity_redirect_start(*, request: HttpRequest, purpose: str) -> str:
    """Create a redirect-flow session for this browser and return the gateway URL to send it to.

    The return URL is built from the configured origin and a fixed route, never from the request.
    It carries a fresh per-flow secret: Dokobit sends the browser that *authenticated* there, and
    completion needs the secret as well as the browser session that *started* the flow. Whoever
    starts a flow and hands Dokobit's URL to someone else holds the cookie but never the secret;
    the person who authenticated holds the secret but not the cookie, so neither completes.
    """
    secret = secrets.token_hex(32)
    query = urlencode({RETURN_SECRET_PARAM: secret})
    return_url = f"{settings.PORTAL_BASE_URL}{reverse('identity:redirect_return')}?{query}"
    flow, url = _session_create(
        request=request, purpose=purpose, return_url=return_url, return_secret=_return_secret_hash(secret)
    )
    if not url:
        url = f"{settings.DOKOBIT_IDENTITY_URL}/auth/{flow.token}"
    return url


def identity_redirect_flow_for_return(*, request: HttpRequest, secret: str, session_token: str) -> IdentitySession:
    """The redirect flow this browser started, if the return carries its secret and token.

    A return with a valid secret in a browser that did not start the flow means the person who
    authenticated is not the person who started it (a phishing link, or a login-CSRF link): that
    flow is ended for good, so the starter cannot complete it afterwards either. Raises
    ``WrongBrowser`` for every refusal; the gateway is not asked.
    """
    secret_hash = _return_secret_hash(secret) if secret else ""
    flow = identity_session_current(request=request)
    if (
        flow is not None
        and flow.return_secret
        and secret_hash
        and constant_time_compare(secret_hash, flow.return_secret)
        and session_token
        and constant_time_compare(session_token, flow.token)
    ):
        return flow
    if secret_hash:
        stranger = IdentitySession.objects.filter(
            return_secret=secret_hash, outcome=IdentitySession.Outcome.PENDING
        ).first()
        if stranger is not None and (flow is None or stranger.pk != flow.pk):
            logger.warning("identity session %s returned to a browser that did not start it; ended", stranger.pk)
            _fail(stranger, errors.WrongBrowser())
    raise errors.WrongBrowser()


def identity_session_current(*, request: HttpRequest) -> IdentitySession | None:
    """The flow this browser session started last, if it is still bound to it."""
    return identity_session_get_for_browser(
        session_id=request.session.get(SESSION_FLOW_KEY), session_key=request.session.session_key
    )


def _fail(flow: IdentitySession, error: errors.IdentityError, *, eid_code: int | None = None) -> errors.IdentityError:
    IdentitySession.objects.filter(pk=flow.pk).update(
        outcome=IdentitySession.Outcome.FAILED, used_at=flow.used_at or timezone.now(), error_code=eid_code
    )
    logger.info("identity session %s failed: %s", flow.pk, error.error)
    return error


def _check_result(flow: IdentitySession, status: IdentityStatus) -> None:
    # Dokobit echoes the token; an answer about another session must not log anyone in.
    if status.session_token and status.session_token != flow.token:
        raise _fail(flow, errors.TokenMismatch())
    now = timezone.now()
    valid_from, valid_to = status.certificate_valid_from, status.certificate_valid_to
    if valid_from is None or valid_to is None or not valid_from <= now <= valid_to:
        raise _fail(flow, errors.CertificateExpired())
    if status.country_code not in settings.IDENTITY_ALLOWED_COUNTRIES:
        raise _fail(flow, errors.CountryNotAllowed())


def _claim_wait_seconds() -> float:
    # The holder's status call gives up after DOKOBIT_TIMEOUT; its verdict follows right after.
    return float(settings.DOKOBIT_TIMEOUT) + 2.0


def _claim_stale_before(now: datetime) -> datetime:
    # A claim older than the longest a holder can take (connect and read time-outs) was left by a
    # request that died midway.
    return now - timedelta(seconds=2 * float(settings.DOKOBIT_TIMEOUT) + 5)


def _claim(flow: IdentitySession) -> datetime | None:
    # A conditional UPDATE, so of two requests completing the same flow (a double click) exactly
    # one holds it while it asks Dokobit; Dokobit answers the second status read with "session
    # closed" (1005), and that answer must never reach the flow while the first is still running.
    # A stale claim (_claim_stale_before) is taken over rather than waited for until the flow expires.
    now = timezone.now()
    claimed = (
        IdentitySession.objects.filter(pk=flow.pk, outcome=IdentitySession.Outcome.PENDING)
        .filter(Q(used_at__isnull=True) | Q(used_at__lt=_claim_stale_before(now)))
        .update(used_at=now)
    )
    return now if claimed else None


def _column(name: str) -> str:
    field = IdentitySession._meta.get_field(name)
    assert isinstance(field, models.Field)
    return str(field.column)


def _claim_current(*, request: HttpRequest, purpose: str) -> IdentitySession | None:
    """This browser's current flow, claimed, when it can be claimed right away; else ``None``.

    The usual completion in one statement: the conditions of ``identity_session_current``
    (this flow, started by this browser session), of the checks that follow it (the purpose,
    pending, within IDENTITY_SESSION_TTL) and of ``_claim`` (not held by another request) are
    the UPDATE's own, and the claimed row comes back with it (RETURNING). When any of them fails
    nothing is changed and the caller looks at the flow to tell which.
    """
    flow_id, session_key = request.session.get(SESSION_FLOW_KEY), request.session.session_key
    if not isinstance(flow_id, int) or not session_key:
        return None
    now = timezone.now()
    ttl_start = now - timedelta(seconds=settings.IDENTITY_SESSION_TTL)
    meta = IdentitySession._meta
    column = {name: connection.ops.quote_name(_column(name)) for name in _CLAIM_COLUMNS}
    adapt = connection.ops.adapt_datetimefield_value
    # The model's own table and column names; every value is a parameter.
    sql = (
        f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {column['used_at']} = %s "  # noqa: S608
        f"WHERE {column['id']} = %s AND {column['browser_session']} = %s AND {column['purpose']} = %s "
        f"AND {column['outcome']} = %s AND {column['created_at']} >= %s "
        f"AND ({column['used_at']} IS NULL OR {column['used_at']} < %s) RETURNING *"
    )
    params = [
        adapt(now),
        flow_id,
        browser_session_hash(session_key),
        purpose,
        IdentitySession.Outcome.PENDING.value,
        adapt(ttl_start),
        adapt(_claim_stale_before(now)),
    ]
    flow = next(iter(IdentitySession.objects.raw(sql, params)), None)
    if flow is not None:
        flow.used_at = now  # the value written, as the release compares it
    return flow


def _release(flow: IdentitySession, claimed_at: datetime) -> None:
    # Nothing is decided yet (still waiting, or a gateway hiccup): the next completion may try.
    IdentitySession.objects.filter(pk=flow.pk, used_at=claimed_at, outcome=IdentitySession.Outcome.PENDING).update(
        used_at=None
    )


def _settled(flow: IdentitySession) -> AlreadyCompleted:
    if flow.outcome == IdentitySession.Outcome.AUTHENTICATED:
        return AlreadyCompleted(purpose=flow.purpose)
    raise errors.SessionAlreadyUsed()


def _await_holder(flow: IdentitySession) -> AlreadyCompleted | Waiting:
    """Wait for the request that holds the flow; this one must not touch the browser session.

    The holder may log the person in, which replaces the session (a new key); a change saved by
    this request to the old one would fail. No transaction or lock is held while waiting.
    """
    deadline = time.monotonic() + _claim_wait_seconds()
    while time.monotonic() < deadline:
        time.sleep(CLAIM_POLL_INTERVAL)
        current = IdentitySession.objects.filter(pk=flow.pk).only("outcome", "used_at", "purpose").first()
        if current is None:
            break
        if current.outcome != IdentitySession.Outcome.PENDING:
            return _settled(current)
        if current.used_at is None:
            # The holder was told "still waiting" or met a gateway hiccup; the page asks again.
            return Waiting()
    return Waiting()


def identity_session_complete(*, request: HttpRequest, purpose: str) -> EidResult | Waiting | AlreadyCompleted:
    """Read the result of this browser's current flow once and return the proven person.

    The flow comes from the server-side session only. It is claimed in the database before
    Dokobit is asked, so a second request racing the first (a double click) never asks Dokobit
    and never fails the flow: it waits for the first one's verdict and answers
    ``AlreadyCompleted`` (or ``Waiting``). Raises an ``IdentityError`` for every refusal: wrong
    browser, superseded, used, expired, gateway failures, eID error codes, an invalid certificate
    or a country that is not allowed.
    """
    flow = _claim_current(request=request, purpose=purpose)
    claimed_at = flow.used_at if flow is not None else None
    if flow is None:
        # Not claimable as it stands: find out why, and say so (or wait for the request holding it).
        flow = identity_session_current(request=request)
        if flow is None:
            raise errors.WrongBrowser()
        if flow.outcome == IdentitySession.Outcome.SUPERSEDED or flow.purpose != purpose:
            raise errors.SessionSuperseded()
        if flow.outcome != IdentitySession.Outcome.PENDING:
            return _settled(flow)
        if timezone.now() - flow.created_at > timedelta(seconds=settings.IDENTITY_SESSION_TTL):
            request.session.pop(SESSION_FLOW_KEY, None)
            raise _fail(flow, errors.SessionExpired())
        # Released by its holder since the first attempt, or its claim went stale: claim it now.
        claimed_at = _claim(flow)
    if claimed_at is None:
        return _await_holder(flow)
    try:
        status = IdentityClient().session_status(flow.token)
    except IdentitySessionClosed as err:
        request.session.pop(SESSION_FLOW_KEY, None)
        raise _fail(flow, errors.SessionClosed(), eid_code=err.code) from err
    except IdentityAuthenticationFailed as err:
        request.session.pop(SESSION_FLOW_KEY, None)
        raise _fail(flow, errors.EidAuthenticationError(err.code), eid_code=err.code) from err
    except GatewayError as err:
        # Left pending: a gateway hiccup is not the person's failure, and the TTL still applies.
        _release(flow, claimed_at)
        raise _user_error_for(err) from err
    except BaseException:
        _release(flow, claimed_at)
        raise
    if status.is_waiting:
        _release(flow, claimed_at)
        return Waiting()

    request.session.pop(SESSION_FLOW_KEY, None)
    flow.used_at = claimed_at
    _check_result(flow, status)
    IdentitySession.objects.filter(pk=flow.pk).update(outcome=IdentitySession.Outcome.AUTHENTICATED)
    return EidResult(
        country_code=status.country_code,
        personal_code=status.code,
        first_name=status.name,
        last_name=status.surname,
        authentication_method=status.authentication_method,
        identity_session_id=flow.pk,
    )


def identity_registration_hold(*, request: HttpRequest, eid_result: EidResult) -> None:
    """Keep a verified, unknown person's result (encrypted) until the details form is sent."""
    fields = {key: value for key, value in asdict(eid_result).items() if key != "identity_session_id"}
    IdentitySession.objects.filter(pk=eid_result.identity_session_id).update(
        result_encrypted=encrypt_text(json.dumps(fields))
    )
    request.session[SESSION_REGISTRATION_KEY] = eid_result.identity_session_id


def identity_registration_pending(*, request: HttpRequest) -> EidResult:
    """The verified result waiting for registration in this browser, or ``RegistrationMissing``."""
    flow = identity_session_get_for_browser(
        session_id=request.session.get(SESSION_REGISTRATION_KEY), session_key=request.session.session_key
    )
    if (
        flow is None
        or not flow.result_encrypted
        or flow.outcome != IdentitySession.Outcome.AUTHENTICATED
        or flow.used_at is None
        or timezone.now() - flow.used_at > REGISTRATION_WINDOW
    ):
        raise errors.RegistrationMissing()
    return EidResult(**json.loads(decrypt_text(flow.result_encrypted)), identity_session_id=flow.pk)


def user_get_or_create_from_eid(
    *, eid_result: EidResult, email: str = "", language: str = settings.LANGUAGE_CODE
) -> tuple[User, bool]:
    """The account of the proven person, created with the given e-mail and language if new."""
    user = user_get_by_personal_code(country_code=eid_result.country_code, personal_code=eid_result.personal_code)
    if user is not None:
        return user, False
    user = User.objects.create_user(
        country_code=eid_result.country_code,
        personal_code=eid_result.personal_code,
        first_name=eid_result.first_name,
        last_name=eid_result.last_name,
        email=email,
        language=language,
    )
    return user, True


@transaction.atomic
def user_register(*, request: HttpRequest, email: str, language: str) -> User:
    """Create the account of the person whose eID result waits in this browser session.

    The personal code comes only from the stored gateway result, never from the form. An account
    made for the same person meanwhile (another tab) is used, unless it is switched off.
    """
    eid_result = identity_registration_pending(request=request)
    user, created = user_get_or_create_from_eid(eid_result=eid_result, email=email, language=language)
    if not user.is_active:
        raise errors.AccountInactive()
    if not created:
        user_update_from_eid(user=user, eid_result=eid_result)
    IdentitySession.objects.filter(pk=eid_result.identity_session_id).update(result_encrypted="", user=user)
    request.session.pop(SESSION_REGISTRATION_KEY, None)
    if created:
        logger.info("user %s registered with eID", user.pk)
    return user


def user_update_from_eid(*, user: User, eid_result: EidResult) -> User:
    """Names follow the eID: refresh them when the gateway reports a change."""
    if (user.first_name, user.last_name) != (eid_result.first_name, eid_result.last_name):
        user.first_name, user.last_name = eid_result.first_name, eid_result.last_name
        user.save(update_fields=["first_name", "last_name"])
    return user


# --- staff password logins: the second factor ---------------------------------------------------


def staff_second_factor_setup(*, user: User) -> str:
    """Give ``user`` a new authenticator key (replacing any old one) and return it, to show once."""
    secret = totp.new_secret()
    StaffSecondFactor.objects.update_or_create(
        user=user, defaults={"secret_encrypted": encrypt_text(secret), "last_used_step": 0}
    )
    logger.info("a staff member's second factor was set up")
    return secret


def staff_second_factor_verify(*, factor: StaffSecondFactor, code: str) -> bool:
    """Whether ``code`` is the current code of this key; a code is accepted once only."""
    step = totp.matching_step(decrypt_text(factor.secret_encrypted), code, after_step=factor.last_used_step)
    if step is None:
        return False
    # Conditional, so two logins racing with the same code cannot both pass.
    return bool(StaffSecondFactor.objects.filter(pk=factor.pk, last_used_step__lt=step).update(last_used_step=step))

"""eID flows: start an Identity Gateway session, complete it safely, register and find people.

The gateway's session token is a capability. It is kept server-side, bound to the browser session
that started it, completed at most once and only within IDENTITY_SESSION_TTL; the browser never
tells the server which token to complete (security.md T1-T3).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from identity import errors, totp
from identity.dokobit import IdentityAuthenticationFailed, IdentityClient, IdentitySessionClosed, IdentityStatus
from identity.models import IdentitySession, StaffSecondFactor, User
from identity.selectors import browser_session_hash, identity_session_get_for_browser, user_get_by_personal_code
from portal.crypto import decrypt_text, encrypt_text
from portal.http import GatewayError, GatewayUnavailable

logger = logging.getLogger(__name__)

# Keys in the server-side Django session. They hold IdentitySession ids, never tokens or codes.
SESSION_FLOW_KEY = "identity_flow"
SESSION_REGISTRATION_KEY = "identity_registration"
# How long a verified eID result waits for the registration details form.
REGISTRATION_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class EidResult:
    """A person as the Identity Gateway proved them. ``identity_session_id`` names the flow."""

    country_code: str
    personal_code: str
    first_name: str
    last_name: str
    authentication_method: str
    identity_session_id: int | None = None


@dataclass(frozen=True)
class Waiting:
    """The person has not finished authenticating yet; ask again shortly."""


def _browser_key(request: HttpRequest) -> str:
    # A fresh visitor has no session key yet; the flow must be bound to one.
    if not request.session.session_key:
        request.session.save()
    return str(request.session.session_key)


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
) -> tuple[IdentitySession, str]:
    browser = browser_session_hash(_browser_key(request))
    try:
        created = IdentityClient().session_create(
            origin_host=origin_host, return_url=return_url, code=code, country_code=country_code
        )
    except GatewayError as err:
        raise _user_error_for(err) from err
    with transaction.atomic():
        # One live flow per browser session: a new one makes every older one unusable.
        IdentitySession.objects.filter(browser_session=browser, outcome=IdentitySession.Outcome.PENDING).update(
            outcome=IdentitySession.Outcome.SUPERSEDED
        )
        flow = IdentitySession.objects.create(
            token=created.session_token, purpose=purpose, browser_session=browser, reference=reference
        )
    request.session[SESSION_FLOW_KEY] = flow.pk
    return flow, created.url


def identity_session_start(
    *,
    request: HttpRequest,
    purpose: str,
    code: str | None = None,
    country_code: str | None = None,
    reference: str = "",
) -> str:
    """Create an embedded-widget session for this browser and return its token for the widget."""
    flow, _url = _session_create(
        request=request,
        purpose=purpose,
        origin_host=settings.PORTAL_ORIGIN,
        code=code,
        country_code=country_code,
        reference=reference,
    )
    return flow.token


def identity_redirect_start(*, request: HttpRequest, purpose: str) -> str:
    """Create a redirect-flow session for this browser and return the gateway URL to send it to.

    The return URL is built from the configured origin and a fixed route, never from the request.
    """
    return_url = settings.PORTAL_BASE_URL + reverse("identity:redirect_return")
    flow, url = _session_create(request=request, purpose=purpose, return_url=return_url)
    if not url:
        url = f"{settings.DOKOBIT_IDENTITY_URL}/auth/{flow.token}"
    return url


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


def identity_session_complete(*, request: HttpRequest, purpose: str) -> EidResult | Waiting:
    """Read the result of this browser's current flow once and return the proven person.

    The flow comes from the server-side session only. Raises an ``IdentityError`` for every
    refusal: wrong browser, superseded, used, expired, gateway failures, eID error codes, an
    invalid certificate or a country that is not allowed.
    """
    flow = identity_session_current(request=request)
    if flow is None:
        raise errors.WrongBrowser()
    if flow.outcome == IdentitySession.Outcome.SUPERSEDED or flow.purpose != purpose:
        raise errors.SessionSuperseded()
    if flow.used_at is not None or flow.outcome != IdentitySession.Outcome.PENDING:
        raise errors.SessionAlreadyUsed()
    if timezone.now() - flow.created_at > timedelta(seconds=settings.IDENTITY_SESSION_TTL):
        request.session.pop(SESSION_FLOW_KEY, None)
        raise _fail(flow, errors.SessionExpired())

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
        raise _user_error_for(err) from err
    if status.is_waiting:
        return Waiting()

    # Claim the flow exactly once, even if two completions race past the checks above.
    claimed = IdentitySession.objects.filter(pk=flow.pk, used_at__isnull=True).update(used_at=timezone.now())
    request.session.pop(SESSION_FLOW_KEY, None)
    if not claimed:
        raise errors.SessionAlreadyUsed()
    flow.refresh_from_db()
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
def user_register(*, request: HttpRequest, email: str, language: str) -> tuple[User, EidResult]:
    """Create the account of the person whose eID result waits in this browser session.

    The personal code comes only from the stored gateway result, never from the form.
    """
    eid_result = identity_registration_pending(request=request)
    user, created = user_get_or_create_from_eid(eid_result=eid_result, email=email, language=language)
    IdentitySession.objects.filter(pk=eid_result.identity_session_id).update(result_encrypted="", user=user)
    request.session.pop(SESSION_REGISTRATION_KEY, None)
    if created:
        logger.info("user %s registered with eID", user.pk)
    return user, eid_result


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

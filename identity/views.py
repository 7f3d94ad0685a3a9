"""Login, registration and profile pages, and the JSON endpoints the gateway widget glue calls.

All eID failures are caught here, at one boundary per flow, and shown as a translated message:
JSON ``{status, error, message}`` for the widget, ``identity/_error.html`` for the redirect flow.
"""

from __future__ import annotations

import json
import logging
from typing import Literal, cast

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME, authenticate, login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from identity import errors
from identity.accounts import AccountDeletionRefused, user_data_export, user_delete
from identity.backends import SettledElsewhere, StillWaiting
from identity.forms import RegistrationDetailsForm
from identity.models import IdentitySession, User
from identity.personal_codes import mask_personal_code
from identity.services import (
    RETURN_SECRET_PARAM,
    SESSION_REGISTRATION_KEY,
    identity_redirect_flow_for_return,
    identity_redirect_start,
    identity_registration_pending,
    identity_session_start,
    user_register,
)
from identity.widget import WidgetConfig, eid_widget_config
from portal.errors import json_error_for
from portal.ratelimit import rate_limited
from portal.types import AuthenticatedHttpRequest

logger = logging.getLogger(__name__)

PAGE_PURPOSES = {
    IdentitySession.Purpose.LOGIN.value: IdentitySession.Purpose.LOGIN,
    IdentitySession.Purpose.REGISTER.value: IdentitySession.Purpose.REGISTER,
    IdentitySession.Purpose.ADMIN.value: IdentitySession.Purpose.ADMIN,
}
SESSION_NEXT_KEY = "identity_next"

logout = LogoutView.as_view()


def _safe_next(request: HttpRequest, value: str | None) -> str:
    # Only same-site paths: ``next`` must never send a freshly logged-in person elsewhere.
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def _retry_url(purpose: str) -> str:
    if purpose == IdentitySession.Purpose.ADMIN:
        return reverse("admin:login")
    return reverse("identity:register" if purpose == IdentitySession.Purpose.REGISTER else "identity:login")


def _render_error(request: HttpRequest, err: errors.IdentityError, *, purpose: str = "login") -> HttpResponse:
    context = {"error": err.error, "message": err.message, "retry_url": _retry_url(purpose)}
    return render(request, "identity/_error.html", context, status=err.status)


def _set_language(response: HttpResponse, user: User) -> HttpResponse:
    translation.activate(user.language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        user.language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        # django-stubs type the setting as any str; Django itself takes only these values.
        samesite=cast("Literal['Lax', 'Strict', 'None']", settings.LANGUAGE_COOKIE_SAMESITE),
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response


def _eid_login(request: HttpRequest, purpose: str) -> tuple[str, User | None]:
    """Complete this browser's eID flow: the backend (EidBackend) decides, this only words it.

    It logs a known person in and answers where to go; an unknown one's result is held for
    registration (``None``). The backend's answers without a verdict (``StillWaiting``,
    ``SettledElsewhere``) and its refusals (an ``IdentityError``) pass on to the view.
    """
    user = authenticate(request, eid_purpose=purpose)
    # EidBackend answers with the portal's User (the password backend is not asked without a password).
    assert user is None or isinstance(user, User)
    next_url = request.session.pop(SESSION_NEXT_KEY, "")
    if user is None:
        # Registration first, then on to the page the person came for (an invitation, say).
        if next_url:
            request.session[SESSION_NEXT_KEY] = next_url
        if purpose == IdentitySession.Purpose.LOGIN:
            messages.info(request, _("There is no account for this eID yet. Add your e-mail to register."))
        return reverse("identity:register_details"), None
    # login() rotates the session key, so a planted session id is worthless afterwards.
    login(request, user)
    if purpose == IdentitySession.Purpose.ADMIN:
        logger.info("staff user %s logged into the admin with eID", user.pk)
        return next_url or reverse("admin:index"), user
    if purpose == IdentitySession.Purpose.REGISTER:
        messages.info(request, _("You already have an account, so you are now logged in."))
    return next_url or reverse(settings.LOGIN_REDIRECT_URL), user


def _widget_config(request: HttpRequest, *, purpose: str, next_url: str) -> WidgetConfig:
    """The eID widget's configuration for a login, registration or admin page, in the page's language."""
    return eid_widget_config(
        request,
        create_url=reverse("identity:session_create"),
        complete_url=reverse("identity:session_complete"),
        language=translation.get_language(),
        params={"purpose": purpose, "next": next_url},
    )


def _registration_waiting(request: HttpRequest) -> bool:
    if SESSION_REGISTRATION_KEY not in request.session:
        return False
    try:
        identity_registration_pending(request=request)
    except errors.RegistrationMissing:
        return False
    return True


def _gateway_page(request: HttpRequest, purpose: str) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    # A verified eID waits for its details form (e.g. a second tab or a double click got here).
    if _registration_waiting(request):
        return redirect("identity:register_details")
    register = purpose == IdentitySession.Purpose.REGISTER
    config = _widget_config(request, purpose=purpose, next_url=_safe_next(request, request.GET.get("next")))
    context = {
        "purpose": purpose,
        "config": config,
        "title": _("Register with eID") if register else _("Log in with eID"),
        "start_label": _("Register with eID") if register else _("Log in with eID"),
        "next": config["params"]["next"],
    }
    return render(request, "identity/gateway.html", context)


@require_GET
def login_page(request: HttpRequest) -> HttpResponse:
    return _gateway_page(request, IdentitySession.Purpose.LOGIN)


@require_GET
def register_page(request: HttpRequest) -> HttpResponse:
    return _gateway_page(request, IdentitySession.Purpose.REGISTER)


@rate_limited("staff-password", per_posted="username")
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own login page (password form) with "Log in with your eID" next to it.

    The eID runs the same flow as the portal login (browser-bound, single use, TTL) with the
    ADMIN purpose, which only lets staff in; the password form stays for the first superuser, with
    the code of their authenticator app (identity.forms.StaffLoginForm).
    """
    next_url = _safe_next(request, request.GET.get(REDIRECT_FIELD_NAME)) or reverse("admin:index")
    context = {
        "eid_config": _widget_config(request, purpose=IdentitySession.Purpose.ADMIN, next_url=next_url),
        "eid_purpose": IdentitySession.Purpose.ADMIN,
        "eid_next": next_url,
        "staff_second_factor": settings.STAFF_PASSWORD_SECOND_FACTOR,
    }
    return admin.site.login(request, extra_context=context)


def _remember_next(request: HttpRequest) -> None:
    request.session[SESSION_NEXT_KEY] = _safe_next(request, request.POST.get("next"))


@require_POST
@rate_limited("identity-session", as_json=True)
def session_create(request: HttpRequest) -> JsonResponse:
    """Start a widget flow for this browser; answers only the session token."""
    purpose = PAGE_PURPOSES.get(request.POST.get("purpose", ""))
    if purpose is None:
        return json_error_for(errors.IdentityError(error="bad_request"))
    try:
        token = identity_session_start(request=request, purpose=purpose)
    except errors.IdentityError as err:
        return json_error_for(err)
    _remember_next(request)
    return JsonResponse({"status": "ok", "session_token": token})


def _session_replaced(request: HttpRequest) -> bool:
    # The cookie named a session that no longer exists: typically a concurrent request of this
    # browser (a double click) has just logged it in, which replaces the session.
    return bool(request.COOKIES.get(settings.SESSION_COOKIE_NAME)) and request.session.session_key is None


@require_POST
def session_complete(request: HttpRequest) -> JsonResponse:
    """Finish this browser's current flow; the token comes from the server-side session only."""
    purpose = PAGE_PURPOSES.get(request.POST.get("purpose", ""))
    if purpose is None:
        return json_error_for(errors.IdentityError(error="bad_request"))
    try:
        redirect_url, user = _eid_login(request, purpose)
    except StillWaiting:
        return JsonResponse({"status": "waiting"}, status=202)
    except SettledElsewhere as settled:
        # The page goes on; its own page sends a logged-in person on to the dashboard.
        return JsonResponse({"status": "ok", "redirect": _retry_url(settled.purpose)})
    except errors.WrongBrowser as err:
        if _session_replaced(request):
            return JsonResponse({"status": "ok", "redirect": _retry_url(purpose)})
        return json_error_for(err)
    except errors.IdentityError as err:
        return json_error_for(err)
    response = JsonResponse({"status": "ok", "redirect": redirect_url})
    if user is not None:
        _set_language(response, user)
    return response


@require_POST
@rate_limited("identity-session")
def redirect_start(request: HttpRequest) -> HttpResponse:
    """Redirect flow for browsers without JavaScript: off to the gateway's own page."""
    purpose = PAGE_PURPOSES.get(request.POST.get("purpose", ""), IdentitySession.Purpose.LOGIN)
    try:
        url = identity_redirect_start(request=request, purpose=purpose)
    except errors.IdentityError as err:
        return _render_error(request, err, purpose=purpose)
    _remember_next(request)
    return HttpResponseRedirect(url)


@require_GET
def redirect_return(request: HttpRequest) -> HttpResponse:
    """The gateway sends the authenticating browser back here with ``?state=…&session_token=…``.

    Only the browser that started the flow *and* comes back with the flow's secret completes it;
    otherwise the gateway is not asked (identity_redirect_flow_for_return).
    """
    try:
        flow = identity_redirect_flow_for_return(
            request=request,
            secret=request.GET.get(RETURN_SECRET_PARAM, ""),
            session_token=request.GET.get("session_token", ""),
        )
    except errors.WrongBrowser as err:
        return _render_error(request, err)
    purpose = flow.purpose
    if purpose not in PAGE_PURPOSES:
        return _render_error(request, errors.WrongBrowser())
    try:
        redirect_url, user = _eid_login(request, purpose)
    except StillWaiting:
        context = {"retry_url": request.get_full_path()}
        return render(request, "identity/waiting.html", context, status=202)
    except SettledElsewhere as settled:
        return redirect(_retry_url(settled.purpose))
    except errors.IdentityError as err:
        return _render_error(request, err, purpose=purpose)
    response = redirect(redirect_url)
    if user is not None:
        _set_language(response, user)
    return response


@never_cache
def register_details(request: HttpRequest) -> HttpResponse:
    """E-mail and language for a person the eID has just proven; then the account exists."""
    try:
        pending = identity_registration_pending(request=request)
    except errors.RegistrationMissing as err:
        return _render_error(request, err, purpose=IdentitySession.Purpose.REGISTER)
    form = RegistrationDetailsForm(
        request.POST or None, initial={"language": translation.get_language() or settings.LANGUAGE_CODE}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = user_register(
                request=request, email=form.cleaned_data["email"], language=form.cleaned_data["language"]
            )
            # The account was just found or made from the proven result: no second look-up.
            login(request, user, backend="identity.backends.EidBackend")
        except errors.IdentityError as err:
            return _render_error(request, err, purpose=IdentitySession.Purpose.REGISTER)
        messages.success(request, _("Welcome! Your account is ready."))
        next_url = _safe_next(request, request.session.pop(SESSION_NEXT_KEY, ""))
        return _set_language(redirect(next_url or settings.LOGIN_REDIRECT_URL), user)
    context = {
        "form": form,
        "full_name": f"{pending.first_name} {pending.last_name}".strip(),
        "country_code": pending.country_code,
        "personal_code_masked": mask_personal_code(pending.personal_code),
    }
    return render(request, "identity/register_details.html", context)


@never_cache
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The person's own data: the only page that shows the whole personal code."""
    user = request.user
    assert isinstance(user, User)
    form = RegistrationDetailsForm(request.POST or None, initial={"email": user.email, "language": user.language})
    if request.method == "POST" and form.is_valid():
        user.email = form.cleaned_data["email"]
        user.language = form.cleaned_data["language"]
        user.save(update_fields=["email", "language"])
        messages.success(request, _("Your details are saved."))
        return _set_language(redirect("identity:profile"), user)
    return render(request, "identity/profile.html", {"form": form, "profile_user": user})


@never_cache
@login_required
@require_GET
def profile_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Everything the portal keeps about the person, as a JSON download (GDPR Art. 15/20)."""
    data = user_data_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-portal-data.json"'
    return response


@never_cache
@login_required
def profile_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Delete the account after a confirmation; refused while one of its documents is being signed."""
    if request.method == "POST":
        try:
            user_delete(user=request.user)
        except AccountDeletionRefused as err:
            messages.error(request, str(err.message))
            return redirect("identity:profile_delete")
        auth_logout(request)
        messages.success(request, _("Your account and your documents have been deleted."))
        return redirect("home")
    return render(request, "identity/profile_delete.html")

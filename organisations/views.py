"""The organisation pages: create one, switch spaces, members and invitations, settings, the logo,
and the invitation link an invitee opens.

Who may do what is read from the person's membership (``organisations.selectors.membership_get``,
404 for a non-member) and ``organisations.roles`` (403 for a member whose role does not allow it).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from organisations import roles
from organisations.errors import AlreadyMember, OrganisationError
from organisations.forms import InvitationForm, OrganisationForm, RoleForm, SettingsForm
from organisations.invitations import (
    MAIL_NOT_SENT,
    invitation_accept,
    invitation_create,
    invitation_get_usable,
    invitation_resend,
    invitation_revoke,
    invitation_send,
)
from organisations.models import Invitation, Membership, Organisation, Role
from organisations.selectors import invitations_open, members_list, membership_get
from organisations.services import membership_end, membership_role_change, organisation_create
from organisations.spaces import space_enter
from portal.pagination import bounded_page
from portal.ratelimit import rate_limited

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from portal.types import AuthenticatedHttpRequest

logger = logging.getLogger(__name__)

MEMBERS_PER_PAGE = 20


def _refused(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "organisations/message.html", {"message": message}, status=status)


def _admin_membership(request: AuthenticatedHttpRequest, uuid: UUID) -> Membership:
    """The requester's membership if they are an admin; 404 for non-members, 403 (raised) for others."""
    membership = membership_get(user=request.user, organisation_uuid=uuid)
    if not roles.can_manage(membership):
        raise _NotAdmin()
    return membership


class _NotAdmin(Exception):
    pass


def _admin_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except _NotAdmin:
            return _refused(request, _("Only the organisation's admins can do this."), status=403)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# --- creating and switching -------------------------------------------------------------------


@never_cache
@login_required
def organisation_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = organisation_create(creator=request.user, **form.cleaned_data)
        space_enter(request, organisation=organisation)
        messages.success(request, _("The organisation was created. You are its admin."))
        return redirect("organisations:members", uuid=organisation.uuid)
    return render(request, "organisations/new.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@login_required
@require_POST
def space_switch(request: AuthenticatedHttpRequest) -> HttpResponse:
    chosen = request.POST.get("space", "")
    if chosen == "personal" or not chosen:
        space_enter(request, organisation=None)
    else:
        membership = membership_get(user=request.user, organisation_uuid=chosen)
        space_enter(request, organisation=membership.organisation)
    return redirect("dashboard")


# --- members and invitations ------------------------------------------------------------------


def _members_context(
    request: AuthenticatedHttpRequest, membership: Membership, *, invite_form: InvitationForm | None = None
) -> dict[str, Any]:
    admin = roles.can_manage(membership)
    # A page of members: an organisation of hundreds would otherwise draw a row and its forms for each.
    members_page = bounded_page(members_list(membership=membership), MEMBERS_PER_PAGE, request.GET.get("page"))
    # Each role's label translated once (get_role_display translates every choice on each call).
    role_choices = [(value, str(label)) for value, label in Role.choices]
    role_labels = dict(role_choices)
    for member in members_page.object_list:
        member.role_label = role_labels[member.role]
    return {
        "organisation": membership.organisation,
        "membership": membership,
        "is_admin": admin,
        "members_page": members_page,
        "members": members_page.object_list,
        "invitations": invitations_open(membership=membership) if admin else [],
        "invite_form": invite_form or InvitationForm(),
        "role_choices": role_choices,
    }


@never_cache
@login_required
@require_GET
def members(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    membership = membership_get(user=request.user, organisation_uuid=uuid)
    return render(request, "organisations/members.html", _members_context(request, membership))


@never_cache
@login_required
@require_POST
@sensitive_post_parameters("pin_personal_code")
@_admin_only
def invitation_new(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    membership = _admin_membership(request, uuid)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        context = _members_context(request, membership, invite_form=form)
        return render(request, "organisations/members.html", context, status=400)
    invitation, token = invitation_create(
        organisation=membership.organisation,
        email=form.cleaned_data["email"],
        role=form.cleaned_data["role"],
        invited_by=request.user,
        country_code=form.cleaned_data.get("pin_country") or "",
        personal_code=form.cleaned_data.get("pin_personal_code") or "",
    )
    try:
        invitation_send(invitation=invitation, token=token, language=get_language() or "en")
    except MAIL_NOT_SENT:
        logger.warning("invitation %s could not be e-mailed", invitation.pk)
        messages.error(request, _("The invitation was saved but the e-mail could not be sent. Use “Send again”."))
    else:
        messages.success(request, _("The invitation was sent."))
    return redirect("organisations:members", uuid=uuid)


def _open_invitation(membership: Membership, invitation_uuid: UUID) -> Invitation:
    return get_object_or_404(Invitation, organisation_id=membership.organisation_id, uuid=invitation_uuid)


@never_cache
@login_required
@require_POST
@_admin_only
def invitation_resend_view(request: AuthenticatedHttpRequest, uuid: UUID, invitation_uuid: UUID) -> HttpResponse:
    membership = _admin_membership(request, uuid)
    invitation = _open_invitation(membership, invitation_uuid)
    try:
        invitation_resend(invitation=invitation, language=get_language() or "en")
    except OrganisationError as err:
        messages.error(request, str(err.message))
    except MAIL_NOT_SENT:
        messages.error(request, _("The e-mail could not be sent. Please try again in a minute."))
    else:
        messages.success(request, _("The invitation was sent again with a new link."))
    return redirect("organisations:members", uuid=uuid)


@never_cache
@login_required
@require_POST
@_admin_only
def invitation_revoke_view(request: AuthenticatedHttpRequest, uuid: UUID, invitation_uuid: UUID) -> HttpResponse:
    membership = _admin_membership(request, uuid)
    invitation_revoke(invitation=_open_invitation(membership, invitation_uuid))
    messages.success(request, _("The invitation was withdrawn; its link no longer works."))
    return redirect("organisations:members", uuid=uuid)


def _member_of(membership: Membership, member_uuid: UUID) -> Membership:
    return get_object_or_404(Membership, organisation_id=membership.organisation_id, uuid=member_uuid)


@never_cache
@login_required
@require_POST
@_admin_only
def member_role(request: AuthenticatedHttpRequest, uuid: UUID, member_uuid: UUID) -> HttpResponse:
    membership = _admin_membership(request, uuid)
    member = _member_of(membership, member_uuid)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
    else:
        try:
            membership_role_change(membership=member, role=form.cleaned_data["role"])
        except OrganisationError as err:
            messages.error(request, str(err.message))
        else:
            messages.success(request, _("The role was changed."))
    return redirect("organisations:members", uuid=uuid)


@never_cache
@login_required
@require_POST
@_admin_only
def member_remove(request: AuthenticatedHttpRequest, uuid: UUID, member_uuid: UUID) -> HttpResponse:
    membership = _admin_membership(request, uuid)
    member = _member_of(membership, member_uuid)
    try:
        membership_end(membership=member)
    except OrganisationError as err:
        messages.error(request, str(err.message))
        return redirect("organisations:members", uuid=uuid)
    if member.user_id == request.user.pk:
        return redirect("dashboard")
    messages.success(request, _("The member was removed. Their access ended at once."))
    return redirect("organisations:members", uuid=uuid)


@never_cache
@login_required
@require_POST
def leave(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    membership = membership_get(user=request.user, organisation_uuid=uuid)
    try:
        membership_end(membership=membership)
    except OrganisationError as err:
        messages.error(request, str(err.message))
        return redirect("organisations:members", uuid=uuid)
    space_enter(request, organisation=None)
    messages.success(request, _("You left %(organisation)s.") % {"organisation": membership.organisation.name})
    return redirect("dashboard")


# --- settings and logo ------------------------------------------------------------------------


@never_cache
@login_required
@_admin_only
def settings_page(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    membership = _admin_membership(request, uuid)
    organisation = membership.organisation
    form = SettingsForm(request.POST or None, request.FILES or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The settings were saved."))
        return redirect("organisations:settings", uuid=uuid)
    context = {"form": form, "organisation": organisation, "membership": membership}
    return render(request, "organisations/settings.html", context, status=400 if form.errors else 200)


@require_GET
@cache_control(max_age=300, public=True)
def logo(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The organisation's logo: public like any letterhead (signers' pages, e-mails, Dokobit's widget)."""
    organisation = get_object_or_404(Organisation.objects.only("logo", "logo_content_type"), uuid=uuid)
    if not organisation.has_logo:
        raise Http404
    response = HttpResponse(bytes(organisation.logo), content_type=organisation.logo_content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


# --- the invitee's link -----------------------------------------------------------------------


@never_cache
@rate_limited("invitation-link", methods=("GET", "POST"))
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the invitation offers and how to accept it; POST (logged in): accept."""
    try:
        found = invitation_get_usable(token=token)
    except OrganisationError as err:
        return _refused(request, str(err.message), status=err.status)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('identity:login')}?next={request.path}")
        try:
            membership = invitation_accept(token=token, user=request.user)
        except AlreadyMember:
            space_enter(request, organisation=found.organisation)
            messages.info(request, _("You are already a member of this organisation."))
            return redirect("dashboard")
        except OrganisationError as err:
            return _refused(request, str(err.message), status=err.status)
        space_enter(request, organisation=membership.organisation)
        messages.success(
            request,
            _("Welcome to %(organisation)s. You joined as %(role)s.")
            % {"organisation": membership.organisation.name, "role": membership.get_role_display()},
        )
        return redirect("dashboard")
    context = {"invitation": found, "organisation": found.organisation, "path": request.path}
    return render(request, "organisations/invitation.html", context)

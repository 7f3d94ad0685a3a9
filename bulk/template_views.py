"""The owner's template pages: the list, saving one, using one, deleting one.

Every template is looked up through ``bulk.access.template_get_for`` with what the view does (404 for
anyone outside it, 403 for an organisation's member whose role does not allow it); the lists and a
new template follow the space the person works in.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from bulk.access import (
    Action,
    refusals_as_pages,
    space_create_check,
    space_may_create,
    template_get_for,
    templates_in_space,
)
from bulk.forms import (
    RoleFormSet,
    TemplateDocumentForm,
    TemplateForm,
    people_duplicates_flag,
    people_forms,
)
from bulk.models import SigningTemplate
from bulk.signing_templates import (
    template_create,
    template_delete,
    template_roles_in_order,
    template_update,
    template_use,
)
from organisations import roles
from organisations.preferences import settings_for
from organisations.spaces import Space, current_space
from portal.ratelimit import rate_limited
from portal.types import AuthenticatedHttpRequest
from signing.errors import SigningError
from signing.views.common import signing_error_message


@never_cache
@login_required
@require_GET
def template_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    space = current_space(request)
    templates = list(
        templates_in_space(user=request.user, space=space).select_related("owner").prefetch_related("roles")
    )
    may_create = space_may_create(space)
    for template in templates:
        # The buttons each row offers (the views check again: bulk.access).
        template.may_use = may_create  # type: ignore[attr-defined]
        template.may_change = space.personal or roles.can_change_shared_setup(  # type: ignore[attr-defined]
            space.membership, is_creator=template.owner_id == request.user.pk
        )
    context = {"templates": templates, "can_create": may_create, "organisation": space.organisation}
    return render(request, "bulk/template_list.html", context)


@never_cache
@login_required
@refusals_as_pages
@rate_limited("upload", per_user=True)
def template_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    space = current_space(request)
    space_create_check(space)
    return _template_form(request, template=None, space=space)


@never_cache
@login_required
@refusals_as_pages
@rate_limited("upload", per_user=True)
def template_edit(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    template = template_get_for(user=request.user, uuid=uuid, action=Action.CHANGE)
    return _template_form(request, template=template, space=current_space(request))


def _template_initial(template: SigningTemplate | None, space: Space) -> dict[str, Any]:
    if template is None:
        # A new template in an organisation starts from its defaults, as the upload form does.
        preferences = settings_for(space.membership)
        return {
            "language": preferences.signing_language or get_language() or "en",
            "deadline_days": preferences.deadline_days,
        }
    return {
        "name": template.name,
        "title_pattern": template.title_pattern,
        "language": template.language,
        "deadline_days": template.deadline_days,
        "reminders": template.reminders,
    }


def _template_form(
    request: AuthenticatedHttpRequest, *, template: SigningTemplate | None, space: Space
) -> HttpResponse:
    """Save a new template, or change one: the same form, the roles replaced as a whole."""
    if request.method == "POST":
        form = TemplateForm(request.POST, request.FILES)
        roles = RoleFormSet(request.POST, prefix="roles")
        if form.is_valid() and roles.is_valid():
            data = form.cleaned_data
            fields = {
                "name": data["name"],
                "title_pattern": data["title_pattern"],
                "language": data["language"],
                "deadline_days": data.get("deadline_days"),
                "reminders": data["reminders"],
                "roles": roles.role_data(),
                "document": data.get("document"),
            }
            if template is None:
                template = template_create(owner=request.user, organisation=space.organisation, **fields)
            else:
                template = template_update(template=template, **fields)
            messages.success(request, _("The template was saved."))
            return redirect("bulk:template-use", uuid=template.uuid)
        status = 400
    else:
        form = TemplateForm(initial=_template_initial(template, space))
        initial_roles = (
            [
                {"name": role.name, "order": role.order, "signing_purpose": role.signing_purpose}
                for role in template_roles_in_order(template=template)
            ]
            if template is not None
            else None
        )
        roles = RoleFormSet(prefix="roles", initial=initial_roles)
        status = 200
    context = {"form": form, "roles": roles, "template": template}
    return render(request, "bulk/template_new.html", context, status=status)


@never_cache
@login_required
@sensitive_post_parameters()
@sensitive_variables("people")
@refusals_as_pages
@rate_limited("upload", per_user=True)
def template_use_view(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    template = template_get_for(user=request.user, uuid=uuid, action=Action.USE)
    roles = template_roles_in_order(template=template)
    needs_document = not template.has_fixed_document
    if request.method == "POST":
        people = people_forms(template=template, roles=roles, data=request.POST)
        document_form = TemplateDocumentForm(request.POST, request.FILES) if needs_document else None
        valid = all([form.is_valid() for form in people]) and people_duplicates_flag(people)
        if document_form is not None and not document_form.is_valid():
            valid = False
        if valid:
            try:
                document = template_use(
                    template=template,
                    actor=request.user,
                    people=[form.person_data() for form in people],
                    document=document_form.cleaned_data["document"] if document_form is not None else None,
                )
            except SigningError as exc:
                messages.error(request, signing_error_message(exc))
            else:
                messages.success(request, _("The document was uploaded and is being sent for signing."))
                return redirect("signing:document-detail", uuid=document.uuid)
        status = 400
    else:
        people = people_forms(template=template, roles=roles)
        document_form = TemplateDocumentForm() if needs_document else None
        status = 200
    context = {
        "template": template,
        "people": people,
        "document_form": document_form,
        # What template_use applies: the template's days, else its organisation's default.
        "deadline_days": template.deadline_days or settings_for(template).deadline_days,
    }
    return render(request, "bulk/template_use.html", context, status=status)


@never_cache
@login_required
@require_POST
@refusals_as_pages
def template_delete_view(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    template = template_get_for(user=request.user, uuid=uuid, action=Action.CHANGE)
    template_delete(template=template)
    messages.success(request, _("The template was deleted."))
    return redirect("bulk:template-list")

"""The owner's template pages: the list, saving one, using one, deleting one.

Every template is looked up through ``bulk.selectors.template_get_for`` (else 404).
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

from bulk.forms import (
    RoleFormSet,
    TemplateDocumentForm,
    TemplateForm,
    people_duplicates_flag,
    people_forms,
)
from bulk.models import SigningTemplate
from bulk.selectors import template_get_for, templates_of
from bulk.signing_templates import (
    template_create,
    template_delete,
    template_roles_in_order,
    template_update,
    template_use,
)
from portal.ratelimit import rate_limited
from portal.types import AuthenticatedHttpRequest
from signing.errors import SigningError
from signing.views.common import signing_error_message


@never_cache
@login_required
@require_GET
def template_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    templates = templates_of(user=request.user).prefetch_related("roles")
    return render(request, "bulk/template_list.html", {"templates": templates})


@never_cache
@login_required
@rate_limited("upload", per_user=True)
def template_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _template_form(request, template=None)


@never_cache
@login_required
@rate_limited("upload", per_user=True)
def template_edit(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    return _template_form(request, template=template_get_for(user=request.user, uuid=uuid))


def _template_initial(template: SigningTemplate | None) -> dict[str, Any]:
    if template is None:
        return {"language": get_language() or "en"}
    return {
        "name": template.name,
        "title_pattern": template.title_pattern,
        "language": template.language,
        "deadline_days": template.deadline_days,
        "reminders": template.reminders,
    }


def _template_form(request: AuthenticatedHttpRequest, *, template: SigningTemplate | None) -> HttpResponse:
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
                template = template_create(owner=request.user, **fields)
            else:
                template = template_update(template=template, **fields)
            messages.success(request, _("The template was saved."))
            return redirect("bulk:template-use", uuid=template.uuid)
        status = 400
    else:
        form = TemplateForm(initial=_template_initial(template))
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
@rate_limited("upload", per_user=True)
def template_use_view(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    template = template_get_for(user=request.user, uuid=uuid)
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
    context = {"template": template, "people": people, "document_form": document_form}
    return render(request, "bulk/template_use.html", context, status=status)


@never_cache
@login_required
@require_POST
def template_delete_view(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    template = template_get_for(user=request.user, uuid=uuid)
    template_delete(template=template)
    messages.success(request, _("The template was deleted."))
    return redirect("bulk:template-list")

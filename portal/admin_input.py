"""Staff input the admin would otherwise pass to the database as it came (issue 13, finding 10)."""

from __future__ import annotations

from typing import TypeVar

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext

_ModelT = TypeVar("_ModelT", bound=Model)


class CheckedSelectionMixin(admin.ModelAdmin[_ModelT]):
    """Actions run only on a selection of real primary keys.

    Django hands ``_selected_action`` to ``pk__in`` unchecked: "abc" or a number past the column's
    range was a 500. Such a selection, or one that names no existing row, is refused with Django's
    own "Items must be selected" message, as an empty selection is.
    """

    def response_action(self, request: HttpRequest, queryset: QuerySet[_ModelT]) -> HttpResponse | None:
        if request.POST.get("select_across", "0") == "1":
            return super().response_action(request, queryset)
        pk = self.model._meta.pk
        try:
            selected = [pk.to_python(value) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)]
            for value in selected:
                pk.run_validators(value)
        except (ValidationError, ValueError, TypeError):
            selected = []
        if selected and not queryset.filter(pk__in=selected).exists():
            selected = []
        if not selected:
            messages.warning(
                request,
                gettext("Items must be selected in order to perform actions on them. No items have been changed."),
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

"""The navigation's inbox link: how many documents wait for the logged-in person's signature."""

from __future__ import annotations

import logging
from typing import Any

from django import template
from django.db import DatabaseError

from signing.emails import document_requester
from signing.inbox import inbox_waiting_count

register = template.Library()
logger = logging.getLogger(__name__)


@register.simple_tag
def inbox_count(user: Any) -> int | None:
    """The badge's number, or None when it cannot be read (the page still renders, e.g. the 500 page)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return inbox_waiting_count(user=user)
    except DatabaseError:
        logger.warning("inbox count unavailable for the navigation")
        return None


@register.filter
def requester(document: Any) -> str:
    """Who asks, as the signer's pages and e-mails name them: the creator, and the organisation."""
    return document_requester(document)

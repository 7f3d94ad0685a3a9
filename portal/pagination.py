"""Page numbers for the lists people page through, at a cost that does not grow with the list.

``COUNT(*)`` reads every row that matches (PostgreSQL keeps no count), so "Page 1 of 500" on an
organisation's 10,000 documents read all 10,000 on every view. ``BoundedPaginator`` counts no
further than ``LOOKAHEAD_PAGES`` past the page asked for: a list that ends within them shows its
exact number of pages, a longer one the pages it is known to have with a "+" ("Page 1 of 51+").
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.formats import localize
from django.utils.functional import cached_property

LOOKAHEAD_PAGES = 50
# A page number past any real list is counted to this page at most: the LIMIT stays a bigint.
_LAST_PAGE_COUNTED = 10**9


class BoundedPaginator(Paginator[Any]):
    """A paginator of ``queryset`` for the page ``number`` (as the request gives it) and a few after it."""

    def __init__(self, queryset: QuerySet[Any], per_page: int, *, number: Any) -> None:
        super().__init__(queryset, per_page)
        self._queryset = queryset
        try:
            asked = min(max(int(number), 1), _LAST_PAGE_COUNTED)
        except (TypeError, ValueError):
            asked = 1
        # One row past the last page counted tells that the list goes on.
        self._limit = (asked - 1 + LOOKAHEAD_PAGES) * per_page + 1

    @cached_property
    def count(self) -> int:
        # Only the keys, in no order: the count needs neither the page's annotations nor a sort.
        return self._queryset.order_by().values("pk")[: self._limit].count()

    @property
    def counted_all(self) -> bool:
        return self.count < self._limit

    @property
    def num_pages_shown(self) -> str:
        """The number of pages as the page says it: exact, or at least this many ("51+")."""
        pages = localize(self.num_pages)
        return str(pages) if self.counted_all else f"{pages}+"


def bounded_page(queryset: QuerySet[Any], per_page: int, number: Any) -> Page[Any]:
    """The page ``number`` of ``queryset`` (the first for a bad number, the last past the end)."""
    return BoundedPaginator(queryset, per_page, number=number).get_page(number)

"""The metadata filters of search and Q&A (地区, 发文机关, 状态, 类型, 日期), defined once for every route that takes them.

``GET /api/search`` and ``GET /api/ask/stream`` take them as query parameters (:func:`filter_query`),
``POST /api/ask`` as the ``filters`` object of its body (:class:`SearchFilterInput`); the 政策库 page offers
the same :data:`STATUSES`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from index.types import SearchFilters
from policy.types import ValidityStatus
from webui.errors import InvalidInput

STATUSES = tuple(status.value for status in ValidityStatus)
UNKNOWN_STATUS = "状态只能是：" + "、".join(STATUSES)

_REGION = "地区（前缀匹配），如 广东省广州市"
_ISSUER = "发文机关（包含匹配）"
_STATUS = " / ".join(STATUSES)


class SearchFilterInput(BaseModel):
    region: str | None = Field(None, description=_REGION)
    issuer: str | None = Field(None, description=_ISSUER)
    status: str | None = Field(None, description=_STATUS)
    tag: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def to_search_filters(self) -> SearchFilters:
        """The filters the searcher takes; :raises InvalidInput: (422) for a status that is not one of :data:`STATUSES`."""
        if self.status and self.status not in STATUSES:
            raise InvalidInput(UNKNOWN_STATUS)
        return SearchFilters(
            region=self.region, issuer=self.issuer, status=self.status, tag=self.tag, date_from=self.date_from, date_to=self.date_to
        )


def filter_query(
    region: Annotated[str | None, Query(description=_REGION)] = None,
    issuer: Annotated[str | None, Query(description=_ISSUER)] = None,
    status: Annotated[str | None, Query(description=_STATUS)] = None,
    tag: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> SearchFilterInput:
    """The filters given as query parameters (a dependency); checked when the route calls ``to_search_filters``."""
    return SearchFilterInput(region=region, issuer=issuer, status=status, tag=tag, date_from=date_from, date_to=date_to)

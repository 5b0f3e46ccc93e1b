"""Elasticsearch query clauses with the same meaning as the embedded index's SQL and FTS5 queries.

* BM25 runs on the jieba tokens PolicyKB computes itself (``whitespace``-analysed fields), so both backends see
  the same tokens; the title/section tokens weigh :data:`~index.elasticsearch.mapping.HEADING_BOOST` as in the
  embedded index. With ``use_ik`` the IK analyzer's sub-fields of the original text are searched instead.
* The validity status is computed for *today* at query time from the stored status and effective/expiry dates
  (the rule of ``policy.types.current_status``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from index.elasticsearch.mapping import HEADING_BOOST
from index.types import SearchFilters
from policy.types import ValidityStatus


def query_text(tokens: list[str]) -> str:
    """The distinct tokens, space-joined for the ``whitespace`` analyzer (the embedded index also ORs distinct tokens)."""
    return " ".join(dict.fromkeys(t for token in tokens for t in token.split() if t))


def text_queries(query: str, *, use_ik: bool) -> list[dict[str, Any]]:
    """BM25F over text and heading as one field (heading terms count double), like the embedded index's FTS5
    ``bm25()`` with column weights; summing two per-field BM25 scores instead ranked clearly worse on ncp_dev."""
    fields = ["text.ik", f"heading_text.ik^{HEADING_BOOST:g}"] if use_ik else ["body_tokens", f"heading_tokens^{HEADING_BOOST:g}"]
    return [{"combined_fields": {"query": query, "fields": fields, "operator": "or"}}]


def filter_clauses(filters: SearchFilters | None, today: date) -> list[dict[str, Any]]:
    """The filters as Elasticsearch ``bool.filter`` clauses, with the same meaning as the embedded index's SQL."""
    if filters is None or filters.is_empty():
        return []
    clauses: list[dict[str, Any]] = []
    if filters.region:
        clauses.append({"prefix": {"region": {"value": filters.region, "case_insensitive": True}}})
    if filters.issuer:
        pattern = "*" + _wildcard_escape(filters.issuer) + "*"
        clauses.append({"wildcard": {"issuer": {"value": pattern, "case_insensitive": True}}})
    if filters.status:
        clauses.append(status_clause(filters.status, today))
    if filters.tag:
        clauses.append({"term": {"tags": {"value": filters.tag, "case_insensitive": True}}})
    if filters.date_from or filters.date_to:
        bounds = {}
        if filters.date_from:
            bounds["gte"] = filters.date_from.isoformat()
        if filters.date_to:
            bounds["lte"] = filters.date_to.isoformat()
        clauses.append({"range": {"doc_date": bounds}})
    if filters.doc_ids:
        clauses.append({"terms": {"doc_id": list(filters.doc_ids)}})
    return clauses


def status_clause(status: str, today: date) -> dict[str, Any]:
    """Documents whose status on ``today`` is ``status``: an explicit 已失效 stays; otherwise the dates decide."""
    day = today.isoformat()
    expired = [{"term": {"status": ValidityStatus.EXPIRED.value}}, {"range": {"expiry_date": {"lt": day}}}]
    not_yet = {"range": {"effective_date": {"gt": day}}}
    kept = (ValidityStatus.SUPERSEDED.value, ValidityStatus.UNCERTAIN.value)  # stay as stored once the dates allow
    if status == ValidityStatus.EXPIRED.value:
        return {"bool": {"should": expired, "minimum_should_match": 1}}
    if status == ValidityStatus.NOT_YET_IN_FORCE.value:
        return {"bool": {"must_not": expired, "filter": [not_yet]}}
    if status in kept:
        return {"bool": {"must_not": [*expired, not_yet], "filter": [{"term": {"status": status}}]}}
    if status == ValidityStatus.IN_FORCE.value:
        return {"bool": {"must_not": [*expired, not_yet, {"terms": {"status": list(kept)}}]}}
    return {"bool": {"must_not": [{"match_all": {}}]}}  # no document has an unknown status


def _wildcard_escape(value: str) -> str:
    return re.sub(r"([\\*?])", r"\\\1", value)

"""Checks of the metadata values a person gives (the staff form, a catalog row)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from policy.tags import POLICY_TAGS
from policy.types import PolicyMetadata

MAX_TEXT_FIELD_CHARS = 300  # title, issuer, doc_number, region as a person corrects them (form or catalog)


def corrected_value_problems(values: Mapping[str, Any]) -> list[str]:
    """What is wrong with metadata values a person gives (the staff form, a catalog row), in Chinese: text over
    MAX_TEXT_FIELD_CHARS, unknown tags, an expiry date before the effective date. Only the given fields are checked."""
    problems = []
    unknown = [tag for tag in values.get("tags") or () if tag not in POLICY_TAGS]
    if unknown:
        problems.append(f"未知的政策类型：{'、'.join(unknown)}")
    effective, expiry = values.get("effective_date"), values.get("expiry_date")
    if effective and expiry and expiry < effective:
        problems.append("失效日期不能早于施行日期")
    for name in ("title", "issuer", "doc_number", "region"):
        if len(values.get(name) or "") > MAX_TEXT_FIELD_CHARS:
            problems.append(f"{name} 过长（上限 {MAX_TEXT_FIELD_CHARS} 字）")
    return problems


def keep_corrections(extracted: PolicyMetadata, previous: PolicyMetadata) -> PolicyMetadata:
    """``extracted`` from a file ingested again, with the values a person set on its previous version kept."""
    kept = {name: getattr(previous, name) for name in previous.corrected if hasattr(extracted, name)}
    evidence = {name: span for name, span in extracted.evidence.items() if name not in kept}
    return dataclasses.replace(extracted, **kept, evidence=evidence, corrected=list(previous.corrected))

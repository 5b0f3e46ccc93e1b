"""Subscriptions (topic, keyword, issuer, region) and which of them a newly published policy version matches."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from policy.labels import LabelledEnum
from policy.tags import POLICY_TAGS
from push_rules.models import PolicyVersion, Subscription
from push_rules.regions import RegionTable, within
from push_rules.tokenizer import Tokenize


class SubscriptionKind(LabelledEnum, unknown="订阅类型“{value}”无效"):
    TOPIC = "topic", "主题"
    KEYWORD = "keyword", "关键词"
    ISSUER = "issuer", "发文机关"
    REGION = "region", "地区"


def known_topics() -> set[str]:
    """The policy type slugs documents are tagged with."""
    return set(POLICY_TAGS)


def normalize_subscription_value(kind: SubscriptionKind, value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{kind.label}订阅的内容不能为空")
    if len(value) > 100:
        raise ValueError(f"{kind.label}订阅的内容不能超过100个字")
    if kind is SubscriptionKind.REGION:
        return RegionTable.default().validate(value).code
    if kind is SubscriptionKind.TOPIC:
        topics = known_topics()
        if topics is not None and value not in topics:
            raise ValueError(f"未知的政策主题“{value}”，可选：{'、'.join(sorted(topics))}")
    return value


@dataclass(frozen=True)
class PolicyFacts:
    """What subscriptions are matched against: a version's metadata and the tokens of its text."""

    tags: frozenset[str]
    issuer: str
    region_code: str | None
    tokens: frozenset[str]


class SubscriptionMatcher:
    """Find the subscriptions a policy version matches, reading each distinct subscription value once."""

    def __init__(self, tokenize: Tokenize) -> None:
        self.tokenize = tokenize
        self._keyword_tokens: dict[str, frozenset[str]] = {}

    def facts(self, version: PolicyVersion, text: str) -> PolicyFacts:
        return PolicyFacts(
            frozenset(version.tags or []),
            version.issuer or "",
            version.region_code,
            frozenset(self.tokenize(f"{version.title}\n{text}")),
        )

    def keyword_matches(self, keyword: str, facts: PolicyFacts) -> bool:
        tokens = self._keyword_tokens.get(keyword)
        if tokens is None:
            tokens = self._keyword_tokens[keyword] = frozenset(self.tokenize(keyword))
        return bool(tokens) and tokens <= facts.tokens

    def value_matches(self, kind: str, value: str, facts: PolicyFacts) -> bool:
        if kind == SubscriptionKind.TOPIC.value:
            return value in facts.tags
        if kind == SubscriptionKind.KEYWORD.value:
            return self.keyword_matches(value, facts)
        if kind == SubscriptionKind.ISSUER.value:
            return bool(facts.issuer) and value in facts.issuer
        if kind == SubscriptionKind.REGION.value:
            # a policy of the subscribed region or of a region containing it (a province's policy for a city)
            code = facts.region_code
            return code is not None and (within(code, value) or within(value, code))
        return False

    def match(self, session: Session, facts: PolicyFacts) -> dict[int, list[str]]:
        """enterprise id -> reasons (``subscription:<kind>:<value>``) for every matching subscription."""
        distinct = session.execute(select(Subscription.kind, Subscription.value).distinct()).all()
        hits = [(kind, value) for kind, value in distinct if self.value_matches(kind, value, facts)]
        result: dict[int, list[str]] = defaultdict(list)
        for kind, value in hits:
            rows = session.execute(
                select(Subscription.enterprise_id).where(Subscription.kind == kind, Subscription.value == value)
            ).scalars()
            for enterprise_id in rows:
                result[enterprise_id].append(f"subscription:{kind}:{value}")
        return dict(result)

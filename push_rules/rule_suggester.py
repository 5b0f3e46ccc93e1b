"""Suggest an eligibility rule from a policy's own words, for staff to confirm.

1. The jurisdiction (:mod:`push_rules.suggestion.jurisdiction`): where enterprises must be registered when the
   text says nothing else, read from the issuing authority (national issuers: no region condition).
2. The eligibility clauses (:mod:`push_rules.suggestion.audience`): scope clauses for the whole document, the
   title's beneficiary, a 申报条件-style section, else the beneficiaries of the numbered measures.
3. The conditions of those clauses only (:mod:`push_rules.suggestion.conditions`), one per field, each with a
   confidence and the sentence it was read from.

A document whose measures address different beneficiaries gets one rule per measure (``measures``) beside the
suggested rule, and the whole suggestion is marked ``needs_review``; one without recognisable conditions gets
the explicit question 未识别到申请条件：是否适用于<地区>的所有企业？ with the rule that says so. Nothing is saved.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from push_rules.qualifications import QualificationCatalog
from push_rules.rule_ops import ALL_ENTERPRISES, REGION_WITHIN, RULE_OPS
from push_rules.rules_schema import iter_leaves, leaf_negations
from push_rules.suggestion.audience import Audience, AudienceFinder, Clause, sentences
from push_rules.suggestion.conditions import ConditionReader, Found, strip_citations
from push_rules.suggestion.jurisdiction import Jurisdiction, JurisdictionReader
from push_rules.suggestion.numbers import parse_number

Leaf = dict[str, Any]
REVIEW_BELOW = 0.7
MAX_UNION = 6
MAX_MEASURE_SENTENCE = 200
DOMINANT_SHARE = 0.5
_ENTERPRISE_NOUN = re.compile(r"[\u4e00-\u9fa5“”]{1,10}?(?:企业|机构|单位)")
_ATOM_NAMES = {"region": "region", "size": "size", "qualifications": "qual", "industry": "industry", "established_on": "years",
               "annual_revenue": "revenue", "employees": "employees", "ownership": "ownership", "enterprise": "all"}
_SOURCE_LABELS = {
    "issuer": "发文机关辖区", "title": "标题", "metadata": "文件所属地区", "text": "正文提及的地区", "none": "未识别地区",
    "scope": "适用范围条款", "section": "申报条件", "measure": "措施对象", "salutation": "主送对象", "dominant": "正文主要对象",
}
_CONFIDENCE = {"scope": 0.9, "section": 0.8, "title": 0.75, "salutation": 0.7, "measure": 0.6}


@dataclass(frozen=True)
class SuggestedCondition:
    leaf: Leaf
    evidence: str
    confidence: float
    source: str  # scope | title | section | measure | issuer | metadata | text
    negated: bool = False

    @property
    def node(self) -> dict[str, Any]:
        return {"not": self.leaf} if self.negated else self.leaf

    @property
    def source_label(self) -> str:
        return _SOURCE_LABELS.get(self.source, self.source)


@dataclass
class SuggestedMeasure:
    """One measure of an omnibus document and the conditions on its beneficiaries (region not included)."""

    heading: str
    conditions: list[SuggestedCondition]

    @property
    def rule(self) -> dict[str, Any]:
        return {"all": [c.node for c in self.conditions]}


@dataclass
class Suggestion:
    conditions: list[SuggestedCondition] = field(default_factory=list)
    alternatives: list[SuggestedMeasure] = field(default_factory=list)  # the rule's any-of group (union of measures)
    measures: list[SuggestedMeasure] = field(default_factory=list)  # one rule per measure, offered to staff
    jurisdiction: Jurisdiction | None = None
    reasons: list[str] = field(default_factory=list)  # why staff should review it
    no_conditions: bool = False

    @property
    def needs_review(self) -> bool:
        return bool(self.reasons)

    @property
    def rule(self) -> dict[str, Any]:
        nodes = [c.node for c in self.conditions]
        if len(self.alternatives) == 1:
            nodes += [c.node for c in self.alternatives[0].conditions]
        elif self.alternatives:
            nodes.append({"any": [m.rule for m in self.alternatives]})
        return {"all": nodes}

    def leaf_conditions(self) -> list[SuggestedCondition]:
        """The suggested conditions in :func:`push_rules.rules_schema.iter_leaves` order of :attr:`rule`."""
        out = list(self.conditions)
        for measure in self.alternatives:
            out += measure.conditions
        return out

    @property
    def evidence(self) -> list[str]:
        return [c.evidence for c in self.leaf_conditions()]

    @property
    def note(self) -> str:
        if self.no_conditions:
            where = self.jurisdiction.label if self.jurisdiction and (self.jurisdiction.region or self.jurisdiction.national) else "（未识别地区）"
            return f"未识别到申请条件：是否适用于{where}的所有企业？请工作人员确认。"
        return "以下条件由系统从文件的适用范围、申报条件等条款中提取，每条附原文依据和置信度，请工作人员逐条核对后保存。"

    def atoms(self) -> set[str]:
        """Flat facts for precision/recall: ``region:150100``, ``size:small``, ``revenue_min:2000`` …"""
        return rule_atoms(self.rule)


def rule_atoms(rule: dict[str, Any] | None) -> set[str]:
    """Flat facts of a rule's conditions: ``region:440106``, ``size:small``, ``revenue_min:2000``, ``not:ownership:state`` …"""
    if not rule:
        return set()
    out: set[str] = set()
    for leaf, negated in zip(iter_leaves(rule), leaf_negations(rule), strict=True):
        op = RULE_OPS[leaf["op"]]
        fieldname = leaf.get("field") or op.implied_field or ""
        name = ("not:" if negated else "") + _ATOM_NAMES.get(fieldname, fieldname)
        if not op.takes_value:
            out.add(name)
        elif op.bounds:
            out |= {f"{name}_{bound}:{leaf[bound]:g}" for bound in ("min", "max") if bound in leaf}
        else:
            values = leaf["value"] if isinstance(leaf["value"], list) else [leaf["value"]]
            out |= {f"{name}:{v}" for v in values}
    return out


class _ConditionSet:
    """Conditions kept one per field: the first source to state a field wins; a range gains the other bound."""

    def __init__(self) -> None:
        self.items: dict[str, SuggestedCondition] = {}

    def add(self, found: Found, confidence: float, source: str) -> None:
        key = found.key
        leaf = dict(found.leaf)
        current = self.items.get(key)
        if current is None:
            self.items[key] = SuggestedCondition(leaf, found.evidence, confidence, source, found.negated)
            return
        if current.source != source:
            if RULE_OPS[leaf["op"]].bounds and current.leaf["op"] == leaf["op"]:
                self._add_bound(key, current, leaf, found.evidence)
            return
        if RULE_OPS[leaf["op"]].bounds and current.leaf["op"] == leaf["op"]:
            self._add_bound(key, current, leaf, found.evidence)
        elif RULE_OPS[leaf["op"]].any_of and current.leaf["op"] == leaf["op"] and "value" in leaf:
            values = list(current.leaf["value"]) + [v for v in leaf["value"] if v not in current.leaf["value"]]
            self.items[key] = SuggestedCondition({**current.leaf, "value": values}, current.evidence, current.confidence, source, current.negated)

    def _add_bound(self, key: str, current: SuggestedCondition, leaf: Leaf, evidence: str) -> None:
        merged = dict(current.leaf)
        for bound in ("min", "max"):
            if bound in leaf and bound not in merged:
                merged[bound] = leaf[bound]
        if "min" in merged and "max" in merged and merged["min"] > merged["max"]:
            return
        if merged != current.leaf:
            joined = current.evidence if evidence == current.evidence else f"{current.evidence}；{evidence}"[:300]
            self.items[key] = SuggestedCondition(merged, joined, current.confidence, current.source, current.negated)

    def values(self) -> list[SuggestedCondition]:
        return sorted(self.items.values(), key=lambda c: RULE_OPS[c.leaf["op"]].suggest_rank)


class RuleSuggester:
    """Read a policy's eligibility clauses and propose a rule.

    >>> RuleSuggester().suggest("一、申报条件\\n（一）在呼和浩特市注册，成立满2年的中小企业。", region_hint=None).atoms()
    {'region:150100', 'size:medium', 'size:small', 'size:micro', 'years_min:2'}
    """

    def __init__(self, qualifications: QualificationCatalog | None = None) -> None:
        self.places = JurisdictionReader()
        self.audience = AudienceFinder()
        self.qualifications = qualifications

    def suggest(
        self,
        text: str,
        region_hint: str | None = None,
        *,
        title: str | None = None,
        issuer: str | None = None,
        qualifications: QualificationCatalog | None = None,
    ) -> Suggestion:
        """The suggested rule of a document.

        :param text: the document's text.
        :param region_hint: the document's region from its metadata (省/市 name), if any.
        :param title: the document's title from its metadata.
        :param issuer: the issuing authority from its metadata (its jurisdiction is the default region).
        :param qualifications: the catalogue whose entries (built-in and added) are recognised in the text.
        """
        text = text.replace("\r\n", "\n")
        reader = ConditionReader(qualifications or self.qualifications, self.places)
        jurisdiction = self.places.read(text, title=title, issuer=issuer, region_hint=region_hint)
        audience = self.audience.find(text, title)
        suggestion = Suggestion(jurisdiction=jurisdiction)
        found = _ConditionSet()
        region_found: SuggestedCondition | None = None
        for clause, weight in self._authoritative(audience):
            for sentence in clause.sentences:
                for item in reader.read(sentence, jurisdiction.region, region=clause.kind != "title"):
                    if item.leaf["op"] == REGION_WITHIN.name:
                        if region_found is None:
                            region_found = SuggestedCondition(item.leaf, item.evidence, 0.95, clause.kind)
                    elif item.leaf["op"] != ALL_ENTERPRISES.name:
                        found.add(item, weight, clause.kind)
        self._apply_extensions(found, audience, reader)
        measures = self._measures(audience, reader, jurisdiction)
        suggestion.measures = [m for m in measures if m.conditions]
        conditions = found.values()
        if not conditions:
            conditions = self._dominant(text, reader)
            if conditions:
                suggestion.reasons.append("未找到适用范围条款：按正文中反复出现的企业类别给出条件")
        if not conditions and measures:
            specific = [m for m in measures if m.conditions]
            if specific and len(specific) == len(measures) and len(_distinct(specific)) <= MAX_UNION:
                suggestion.alternatives = _distinct(specific)
                regions = {json_key(c.leaf) for m in suggestion.alternatives for c in m.conditions if c.leaf["op"] == REGION_WITHIN.name}
                if len(regions) == 1 and all(any(c.leaf["op"] == REGION_WITHIN.name for c in m.conditions) for m in suggestion.alternatives):
                    region_found = next(c for c in suggestion.alternatives[0].conditions if c.leaf["op"] == REGION_WITHIN.name)
                    for m in suggestion.alternatives:
                        m.conditions = [c for c in m.conditions if c.leaf["op"] != REGION_WITHIN.name]
                    suggestion.alternatives = [m for m in suggestion.alternatives if m.conditions] if all(m.conditions for m in suggestion.alternatives) else []
                if len(suggestion.alternatives) > 1:
                    suggestion.reasons.append("各项措施面向不同对象：规则取各措施对象之并集，另按措施分别给出规则")
            elif specific:
                suggestion.reasons.append("部分措施只面向特定对象：规则按面向所有企业的措施给出，另按措施分别给出规则")
        suggestion.conditions = self._region(region_found, jurisdiction, text) + conditions
        if not conditions and not suggestion.alternatives:
            suggestion.no_conditions = True
            suggestion.reasons.insert(0, "未识别到申请条件")
            if not suggestion.conditions:
                suggestion.conditions = [SuggestedCondition({"op": ALL_ENTERPRISES.name, "field": "enterprise"}, jurisdiction.evidence or "未识别到申请条件", 0.5, jurisdiction.source)]
        for noun in audience.defined:
            if not any(noun in c.evidence for c in conditions):
                suggestion.reasons.append(f"文件的适用对象“{noun}”不在企业资质目录中：管理员可将其加入资质目录后重新生成建议")
        if jurisdiction.source in ("text", "none") and region_found is None:
            suggestion.reasons.append("未能从发文机关确定适用地区" + ("，按正文提及的地区给出" if jurisdiction.region else ""))
        if any(c.confidence < REVIEW_BELOW for c in suggestion.leaf_conditions()) and not suggestion.reasons:
            suggestion.reasons.append("部分条件置信度较低")
        return suggestion

    @staticmethod
    def _authoritative(audience: Audience) -> list[tuple[Clause, float]]:
        """The clauses conditions are taken from, most authoritative first: scope, title, the one section."""
        clauses = [(c, _CONFIDENCE["scope"]) for c in audience.scope]
        if audience.title is not None:
            clauses.append((audience.title, _CONFIDENCE["title"]))
        if audience.salutation is not None:
            clauses.append((audience.salutation, _CONFIDENCE["salutation"]))
        if len(audience.sections) == 1:
            clauses.append((audience.sections[0], _CONFIDENCE["section"]))
        return clauses

    @staticmethod
    def _apply_extensions(found: _ConditionSet, audience: Audience, reader: ConditionReader) -> None:
        """参照本条例执行: the ownership classes a document extends to join its ownership condition."""
        extra: list[str] = []
        for sentence in audience.extensions:
            for item in reader.ownership(sentence, sentence):
                if not item.negated:
                    extra += item.leaf["value"]
        if not extra:
            return
        if "foreign" in extra and "hmt" not in extra:
            extra.append("hmt")  # investment from Hong Kong, Macao and Taiwan follows the rules of foreign investment
        for key, condition in list(found.items.items()):
            if condition.leaf.get("field") != "ownership":
                continue
            values = list(condition.leaf["value"])
            values = [v for v in values if v not in extra] if condition.negated else values + [v for v in extra if v not in values]
            if values:
                found.items[key] = SuggestedCondition({**condition.leaf, "value": values}, condition.evidence, condition.confidence, condition.source, condition.negated)
            else:
                del found.items[key]

    def _measures(self, audience: Audience, reader: ConditionReader, jurisdiction: Jurisdiction) -> list[SuggestedMeasure]:
        clauses = audience.sections if len(audience.sections) > 1 else audience.measures
        measures = []
        for clause in clauses:
            found = _ConditionSet()
            generic = not clause.sentences
            for sentence in clause.sentences:
                if len(sentence) > MAX_MEASURE_SENTENCE:  # a list or table run together: no beneficiary can be told apart
                    generic = True
                    continue
                items = [i for i in reader.read(sentence, jurisdiction.region) if i.leaf["op"] != ALL_ENTERPRISES.name]
                if not any(i.leaf["op"] != REGION_WITHIN.name for i in items):
                    generic = True
                for item in items:
                    found.add(item, _CONFIDENCE["measure"], "measure")
            measures.append(SuggestedMeasure(clause.heading, [] if generic else found.values()))
        return measures

    @staticmethod
    def _dominant(text: str, reader: ConditionReader) -> list[SuggestedCondition]:
        """The kind of enterprise a document keeps naming (房地产开发企业 in a notice about their financing), when
        one kind makes up at least :data:`DOMINANT_SHARE` of the enterprises it names."""
        mentions = [m.group(0) for m in _ENTERPRISE_NOUN.finditer(strip_citations(text))]
        if len(mentions) < 3:
            return []
        counts: dict[str, tuple[int, Found]] = {}
        for noun in mentions:
            for item in reader.read(noun, None, region=False):
                # state-owned enterprises are named as landlords and buyers far more often than as beneficiaries
                if item.leaf["op"] == ALL_ENTERPRISES.name or (item.leaf.get("field") == "ownership" and not item.negated):
                    continue
                key = json_key({"negated": item.negated, **item.leaf})
                n, first = counts.get(key, (0, item))
                counts[key] = (n + 1, first)
        if not counts:
            return []
        n, item = max(counts.values(), key=lambda pair: pair[0])
        if n < 3 or n / len(mentions) < DOMINANT_SHARE:
            return []
        evidence = next((s for s in sentences(text) if item.evidence in s), item.evidence)
        return [SuggestedCondition(item.leaf, evidence[:200], 0.55, "dominant", item.negated)]

    @staticmethod
    def _region(found: SuggestedCondition | None, jurisdiction: Jurisdiction, text: str) -> list[SuggestedCondition]:
        if found is not None:
            return [found]
        if jurisdiction.region is None:
            return []
        leaf = {"op": REGION_WITHIN.name, "field": "region", "value": [jurisdiction.region.code]}
        # the line of the text that names the issuer (or the title), so that staff can find it in the document
        at = text.find(jurisdiction.evidence) if jurisdiction.evidence else -1
        if at >= 0:
            evidence = _line_at(text, at, len(jurisdiction.evidence))
        else:
            evidence = f"{_SOURCE_LABELS[jurisdiction.source]}：{jurisdiction.evidence}" if jurisdiction.evidence else _SOURCE_LABELS[jurisdiction.source]
        return [SuggestedCondition(leaf, evidence[:200], jurisdiction.confidence, jurisdiction.source)]


def _line_at(text: str, start: int, length: int) -> str:
    """The sentence or line around ``text[start:start + length]``, at most 200 characters."""
    begin = max(text.rfind("\n", 0, start), text.rfind("。", 0, start)) + 1
    ends = [i for i in (text.find("\n", start + length), text.find("。", start + length)) if i >= 0]
    line = text[begin : min(ends) if ends else len(text)].strip()
    return line if len(line) <= 200 else text[start : start + length]


def json_key(leaf: Leaf) -> str:
    return json.dumps(leaf, sort_keys=True, ensure_ascii=False)


def _distinct(measures: list[SuggestedMeasure]) -> list[SuggestedMeasure]:
    """Measures with different rules (the same beneficiaries named twice count once)."""
    seen: list[dict[str, Any]] = []
    out = []
    for measure in measures:
        if measure.rule not in seen:
            seen.append(measure.rule)
            out.append(measure)
    return out


__all__ = ["RuleSuggester", "SuggestedCondition", "SuggestedMeasure", "Suggestion", "parse_number", "rule_atoms"]

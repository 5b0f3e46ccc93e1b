"""Property tests (hypothesis) for the metadata extractor, the push rule engine and the credit-code validator.

Each property is checked on generated inputs: documents built around a document number and a signature date,
arbitrary text, random rule trees and profiles, and credit codes with one character changed. Example counts are
bounded (``settings`` below) so that the file runs in seconds.
"""

from __future__ import annotations

import string
from datetime import date
from types import SimpleNamespace
from typing import Any

import jsonschema
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ingestion.metadata import PolicyMetadataExtractor, normalize_doc_number
from push_rules.credit_code import (
    CHARSET,
    check_character,
    make_credit_code,
    normalize_credit_code,
    validate_credit_code,
)
from push_rules.enterprise_size import EnterpriseSize
from push_rules.matcher import match_columns
from push_rules.profile_columns import ProfileColumns
from push_rules.qualifications import QUALIFICATIONS
from push_rules.regions import RegionTable
from push_rules.rule_engine import ConditionState, Outcome, describe_condition, evaluate_profile
from push_rules.rules_schema import RULE_JSON_SCHEMA, RuleValidator, iter_leaves, leaf_negations

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TODAY = date(2026, 1, 1)

# ------------------------------------------------------------------------------------------ metadata extraction

EXTRACTOR = PolicyMetadataExtractor()
# Body text: common characters with no digits, brackets or 号, so nothing in it looks like a number or a date.
BODY_CHARS = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发动同工也能下过子说产种面而方后多定行学所民得经" + "，。、；"
BODY = st.text(alphabet=BODY_CHARS, max_size=60)
# Issuer abbreviations of 〔〕 numbers (穗府办规, 内政发): characters that form none of the words that end a title
# before a number (通知, 办法, 人民政府, …) and none of 年月日第号.
ABBREVIATION = st.text(alphabet="穗府办规发函粤京沪内政财税人社教科工农商卫健", min_size=2, max_size=8)
BRACKETS = [("〔", "〕"), ("[", "]"), ("［", "］"), ("（", "）"), ("(", ")"), ("【", "】"), ("﹝", "﹞")]
ORDER_ISSUERS = ["国务院", "财政部", "国家发展和改革委员会", "广州市人民政府", "中国人民银行", "海关总署", "国家税务总局"]
SIGNING_ORGANS = ["呼和浩特市人民政府", "广州市财政局", "国务院办公厅", "内蒙古自治区人民政府办公厅"]
DATES = st.dates(date(1949, 1, 1), date(2100, 12, 31))


def _chinese_year(year: int) -> str:
    return "".join("〇一二三四五六七八九"[int(d)] for d in str(year))


def _chinese_small(n: int) -> str:
    """1..31 the way dates write them: 十, 十二, 二十, 三十一."""
    tens, units = divmod(n, 10)
    return ("" if tens == 0 else "十" if tens == 1 else "二三"[tens - 2] + "十") + ("" if units == 0 else "一二三四五六七八九"[units - 1])


def _chinese_date(day: date) -> str:
    return f"{_chinese_year(day.year)}年{_chinese_small(day.month)}月{_chinese_small(day.day)}日"


@st.composite
def doc_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(the number as printed, the number as PolicyKB normalises it) for the three shapes of 发文字号."""
    shape = draw(st.sampled_from(["bracket", "order", "notice"]))
    year = draw(st.integers(1949, 2100))
    n = draw(st.integers(1, 9999))
    gap = draw(st.sampled_from(["", " ", "\u3000"]))
    if shape == "bracket":
        prefix, (left, right) = draw(ABBREVIATION), draw(st.sampled_from(BRACKETS))
        ordinal = draw(st.sampled_from(["", "第"]))
        return f"{prefix}{gap}{left}{year}{right}{gap}{ordinal}{n}号", f"{prefix}〔{year}〕{ordinal}{n}号"
    if shape == "order":
        issuer = draw(st.sampled_from(ORDER_ISSUERS))
        return f"{issuer}令{gap}第{gap}{n}{gap}号", f"{issuer}令第{n}号"
    issuer = draw(st.sampled_from(["国家税务总局", "海关总署", "财政部 税务总局", "国家市场监督管理总局"]))
    return f"{issuer}公告{gap}{year}{gap}年第{n}{gap}号", f"{issuer}公告{year}年第{n}号"


def _evidence_is_a_slice(text: str, meta: Any) -> None:
    for name, evidence in meta.evidence.items():
        assert 0 <= evidence.start <= evidence.end <= len(text), name
        assert text[evidence.start : evidence.end] == evidence.text, name


@FAST
@given(number=doc_numbers(), topic=BODY, before=BODY, after=BODY)
def test_a_document_number_on_its_own_line_is_found_with_its_span(number: tuple[str, str], topic: str, before: str, after: str) -> None:
    printed, normalised = number
    text = f"关于{topic.strip('，。、；')}的通知\n{printed}\n各有关单位：\n{before}\n{after}"
    meta = EXTRACTOR.extract(text, today=TODAY)
    assert meta.doc_number == normalised
    evidence = meta.evidence["doc_number"]
    assert text[evidence.start : evidence.end] == evidence.text == printed.strip()
    assert normalize_doc_number(evidence.text) == normalised
    _evidence_is_a_slice(text, meta)


@FAST
@given(day=DATES, organ=st.sampled_from(SIGNING_ORGANS), body=BODY, arabic=st.booleans())
def test_a_signature_date_round_trips_between_chinese_numerals_and_iso(day: date, organ: str, body: str, arabic: bool) -> None:
    printed = f"{day.year}年{day.month}月{day.day}日" if arabic else _chinese_date(day)
    text = f"关于加强管理工作的通知\n各有关单位：\n{body}。\n{organ}\n{printed}\n"
    meta = EXTRACTOR.extract(text, today=TODAY)
    assert meta.written_date == day
    assert meta.evidence["written_date"].text == printed


@FAST
@given(year=st.integers(1000, 9999), month=st.integers(1, 12), day=st.integers(1, 31))
def test_only_real_calendar_dates_from_1949_to_2100_are_read(year: int, month: int, day: int) -> None:
    try:
        real = date(year, month, day) if 1949 <= year <= 2100 else None
    except ValueError:  # 二〇二三年二月三十日
        real = None
    text = f"关于加强管理工作的通知\n呼和浩特市人民政府\n{_chinese_year(year)}年{_chinese_small(month)}月{_chinese_small(day)}日\n"
    assert EXTRACTOR.extract(text, today=TODAY).written_date == real


# Pieces that real documents are made of, shuffled: labels, numbers, dates, organ names, validity clauses.
FRAGMENTS = [
    "\n", "\n\n", " ", "\u3000", "。", "，", "：", "《", "》", "（", "）", "# ", "关于", "的通知", "印发", "实施办法",
    "发文字号：", "成文日期：", "发布日期：", "时效性：已废止", "有效期5年", "有效期至", "自印发之日起施行", "自2025年1月1日起施行",
    "起废止", "穗府办规〔2023〕5号", "国务院令第708号", "国家税务总局公告2023年第1号", "2024年12月30日", "二〇二四年十二月三十日",
    "2024-03-04", "2024.3.4", "呼和浩特市人民政府", "广州市财政局", "第一条", "第二章", "通过", "修正", "公布", "第十三届全国人民代表大会常务委员会",
    "根据", "《国务院关于加强管理的通知》", "补贴", "税收优惠", "内蒙古自治区", "北京市", "广东省广州市",
]
DOCUMENT_LIKE = st.lists(st.one_of(st.sampled_from(FRAGMENTS), BODY, st.text(max_size=8)), max_size=40).map("".join)


@FAST
@given(text=st.one_of(st.text(max_size=400), DOCUMENT_LIKE), file_name=st.none() | st.text(max_size=30), hint=st.none() | st.text(max_size=30))
def test_extraction_never_raises_and_every_evidence_is_a_slice_of_the_text(text: str, file_name: str | None, hint: str | None) -> None:
    meta = EXTRACTOR.extract(text, title_hint=hint, file_name=file_name, today=TODAY)
    _evidence_is_a_slice(text, meta)
    for name in ("written_date", "publish_date", "effective_date", "expiry_date"):
        value = getattr(meta, name)
        assert value is None or isinstance(value, date)
    if meta.doc_number is not None:
        assert normalize_doc_number(meta.evidence["doc_number"].text) == meta.doc_number


# ------------------------------------------------------------------------------------------ push rule engine

REGIONS = ["150000", "150100", "150102", "150105", "150121", "150200", "150202", "440000", "440100", "440106", "110000", "110105"]
INDUSTRIES = ["C", "C39", "C391", "C3911", "I", "I65", "I651", "I6513", "F", "F52", "F5211", "A", "A01", "A011", "A0111"]
QUALIFICATION_SLUGS = sorted(QUALIFICATIONS)
SIZES = [size.value for size in EnterpriseSize]
NUMERIC_FIELDS = ["registered_capital", "employees", "annual_revenue", "total_assets"]
AMOUNT = st.floats(0, 100_000, allow_nan=False)


def _values(options: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(options), min_size=1, max_size=3, unique=True)


@st.composite
def _bounds(draw: st.DrawFn, values: st.SearchStrategy[float]) -> dict[str, float]:
    """``min``, ``max`` or both (min <= max)."""
    low, high = draw(st.one_of(st.tuples(values, st.none()), st.tuples(st.none(), values), st.tuples(values, values)))
    if low is not None and high is not None and low > high:
        low, high = high, low
    return {key: value for key, value in (("min", low), ("max", high)) if value is not None}


LEAVES = st.one_of(
    _values(REGIONS).map(lambda v: {"op": "region_within", "value": v}),
    _values(REGIONS).map(lambda v: {"op": "in", "field": "region", "value": v}),
    _values(INDUSTRIES).map(lambda v: {"op": "industry_prefix", "value": v}),
    st.sampled_from(INDUSTRIES).map(lambda v: {"op": "equals", "field": "industry", "value": v}),
    _values(SIZES).map(lambda v: {"op": "in", "field": "size", "value": v}),
    _values(QUALIFICATION_SLUGS).map(lambda v: {"op": "has_qualification", "value": v}),
    _bounds(st.floats(0, 40, allow_nan=False)).map(lambda b: {"op": "years_since", **b}),
    st.tuples(st.sampled_from(NUMERIC_FIELDS), _bounds(AMOUNT)).map(lambda fb: {"op": "range", "field": fb[0], **fb[1]}),
)
RULES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4).map(lambda c: {"all": c}),
        st.lists(children, min_size=1, max_size=4).map(lambda c: {"any": c}),
        children.map(lambda c: {"not": c}),
    ),
    max_leaves=12,
)


@st.composite
def profiles(draw: st.DrawFn, complete: bool = False) -> SimpleNamespace:
    """A profile as the validated enterprise columns hold it; unless ``complete``, any field may be missing (None)."""

    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(strategy if complete else st.none() | strategy)

    return SimpleNamespace(
        id=1,
        region_code=maybe(st.sampled_from(REGIONS)),
        industry_code=maybe(st.sampled_from(INDUSTRIES)),
        size=maybe(st.sampled_from(SIZES)),
        established_on=maybe(st.dates(date(1980, 1, 1), TODAY)),
        registered_capital=maybe(AMOUNT),
        employees=maybe(st.integers(0, 5000)),
        annual_revenue=maybe(AMOUNT),
        total_assets=maybe(AMOUNT),
        qualifications=maybe(st.lists(st.sampled_from(QUALIFICATION_SLUGS), min_size=int(complete), max_size=3, unique=True)),
    )


def _rule(raw: dict[str, Any]) -> dict[str, Any]:
    return RuleValidator().validate(raw)


@FAST
@given(raw=RULES)
def test_generated_rules_validate_normalise_idempotently_and_fit_the_json_schema(raw: dict[str, Any]) -> None:
    rule = _rule(raw)
    jsonschema.validate(rule, RULE_JSON_SCHEMA)
    assert _rule(rule) == rule


@FAST
@given(raw=RULES, profile=profiles())
def test_evaluation_explains_every_condition_in_order(raw: dict[str, Any], profile: SimpleNamespace) -> None:
    rule = _rule(raw)
    evaluation = evaluate_profile(rule, profile, TODAY)
    leaves = iter_leaves(rule)
    assert len(evaluation.conditions) == len(leaves) == len(evaluation.states)
    for leaf, negated, shown, raw_state in zip(leaves, leaf_negations(rule), evaluation.conditions, evaluation.states, strict=True):
        assert shown.condition == ("不满足：" if negated else "") + describe_condition(leaf)
        flipped = {"Y": "N", "N": "Y"}.get(raw_state, raw_state) if negated else raw_state
        assert shown.state.value == flipped
    assert evaluation.missing_information() == [c.detail for c in evaluation.conditions if c.state is ConditionState.UNKNOWN]


@FAST
@given(children=st.lists(RULES, min_size=1, max_size=4), profile=profiles())
def test_all_and_any_combine_their_parts_with_three_valued_logic(children: list[dict[str, Any]], profile: SimpleNamespace) -> None:
    parts = [evaluate_profile(_rule(child), profile, TODAY).outcome for child in children]
    all_of = evaluate_profile(_rule({"all": children}), profile, TODAY).outcome
    any_of = evaluate_profile(_rule({"any": children}), profile, TODAY).outcome
    if Outcome.INELIGIBLE in parts:
        assert all_of is Outcome.INELIGIBLE
    else:
        assert all_of is (Outcome.ELIGIBLE if all(p is Outcome.ELIGIBLE for p in parts) else Outcome.INCOMPLETE)
    if Outcome.ELIGIBLE in parts:
        assert any_of is Outcome.ELIGIBLE
    else:
        assert any_of is (Outcome.INELIGIBLE if all(p is Outcome.INELIGIBLE for p in parts) else Outcome.INCOMPLETE)


@FAST
@given(a=RULES, b=RULES, profile=profiles())
def test_negation_is_an_involution_and_obeys_de_morgan(a: dict[str, Any], b: dict[str, Any], profile: SimpleNamespace) -> None:
    def outcome(raw: dict[str, Any]) -> Outcome:
        return evaluate_profile(_rule(raw), profile, TODAY).outcome

    assert outcome({"not": {"not": a}}) is outcome(a)
    assert outcome({"not": {"all": [a, b]}}) is outcome({"any": [{"not": a}, {"not": b}]})
    assert outcome({"not": {"any": [a, b]}}) is outcome({"all": [{"not": a}, {"not": b}]})
    flipped = {Outcome.ELIGIBLE: Outcome.INELIGIBLE, Outcome.INELIGIBLE: Outcome.ELIGIBLE, Outcome.INCOMPLETE: Outcome.INCOMPLETE}
    assert outcome({"not": a}) is flipped[outcome(a)]


@st.composite
def profile_and_conditions_it_meets(draw: st.DrawFn) -> tuple[SimpleNamespace, list[dict[str, Any]]]:
    """A complete profile and, for a random subset of its fields, a condition built from the field's value."""
    profile = draw(profiles(complete=True))
    conditions: list[dict[str, Any]] = []
    if draw(st.booleans()):  # a region containing the enterprise's: its province, city or itself
        keep = draw(st.sampled_from([2, 4, 6]))
        container = profile.region_code[:keep].ljust(6, "0")
        assume(RegionTable.default().get(container) is not None)
        conditions.append({"op": "region_within", "value": container})
    if draw(st.booleans()):  # the enterprise's industry or one above it: 门类 C, 大类 C39, 中类 C391, 小类 C3911
        code = profile.industry_code
        conditions.append({"op": "industry_prefix", "value": code[: draw(st.sampled_from([n for n in (1, 3, 4, 5) if n <= len(code)]))]})
    if draw(st.booleans()):
        conditions.append({"op": "in", "field": "size", "value": [profile.size, *draw(_values(SIZES))]})
    if draw(st.booleans()):
        conditions.append({"op": "has_qualification", "value": [draw(st.sampled_from(profile.qualifications))]})
    if draw(st.booleans()):  # founded at least as many whole years ago as it is old (bounds are inclusive)
        years = (TODAY.year - profile.established_on.year) - 1
        assume(years >= 0)
        conditions.append({"op": "years_since", "min": years})
    for name in draw(st.lists(st.sampled_from(NUMERIC_FIELDS), unique=True)):
        value = getattr(profile, name)
        low, high = max(0, value - draw(AMOUNT)), value + draw(AMOUNT)
        conditions.append({"op": "range", "field": name, **draw(st.sampled_from([{"min": low}, {"max": high}, {"min": low, "max": high}]))})
    assume(conditions)
    return profile, conditions


@FAST
@given(case=profile_and_conditions_it_meets(), data=st.data())
def test_a_rule_built_from_a_profile_matches_it_until_one_condition_excludes_it(case: tuple[SimpleNamespace, list[dict[str, Any]]], data: st.DataObject) -> None:
    profile, conditions = case
    evaluation = evaluate_profile(_rule({"all": conditions}), profile, TODAY)
    assert evaluation.outcome is Outcome.ELIGIBLE
    assert all(c.state is ConditionState.MET for c in evaluation.conditions)
    # Replace one condition by one the profile fails: the rule no longer matches, and that condition says why.
    at = data.draw(st.integers(0, len(conditions) - 1))
    failing = {"op": "range", "field": "employees", "max": profile.employees - 1} if profile.employees > 0 else {"op": "range", "field": "employees", "min": profile.employees + 1}
    changed = _rule({"all": [*conditions[:at], failing, *conditions[at + 1 :]]})
    evaluation = evaluate_profile(changed, profile, TODAY)
    assert evaluation.outcome is Outcome.INELIGIBLE
    assert [c.condition for c in evaluation.conditions if c.state is ConditionState.NOT_MET] == [describe_condition(iter_leaves(changed)[at])]


@SLOW
@given(raw=RULES, people=st.lists(profiles(), min_size=1, max_size=12))
def test_the_vectorised_matcher_agrees_with_evaluating_each_profile(raw: dict[str, Any], people: list[SimpleNamespace]) -> None:
    for i, profile in enumerate(people, 1):
        profile.id = i
    rule = _rule(raw)
    matches = match_columns(rule, ProfileColumns.from_rows(people), TODAY)
    kept = {int(i): (bool(ok), states) for i, ok, states in zip(matches.enterprise_ids, matches.eligible, matches.condition_states, strict=True)}
    for profile in people:
        evaluation = evaluate_profile(rule, profile, TODAY)
        if evaluation.outcome is Outcome.INELIGIBLE:
            assert profile.id not in kept
        else:
            assert kept[profile.id] == (evaluation.outcome is Outcome.ELIGIBLE, evaluation.states)


# ------------------------------------------------------------------------------------------ credit codes

AUTHORITIES = "156789ANY"
CREDIT_CODES = st.builds(
    make_credit_code,
    st.text(string.digits, min_size=6, max_size=6),
    st.text(CHARSET, min_size=8, max_size=8),
    st.sampled_from(AUTHORITIES),
    st.sampled_from(CHARSET),
)


@FAST
@given(code=CREDIT_CODES, spacing=st.sampled_from(["", " ", "\t", "\u3000"]))
def test_a_code_with_the_right_check_character_validates(code: str, spacing: str) -> None:
    assert len(code) == 18
    assert code[17] == check_character(code[:17])
    assert validate_credit_code(code) is None
    assert validate_credit_code(spacing + code.lower() + spacing) is None
    assert normalize_credit_code(spacing + code.lower() + spacing) == code


@FAST
@given(code=CREDIT_CODES, position=st.integers(0, 17), replacement=st.characters())
def test_any_single_character_change_is_caught(code: str, position: int, replacement: str) -> None:
    assume(replacement.upper() != code[position])
    changed = code[:position] + replacement + code[position + 1 :]
    assert validate_credit_code(changed) is not None


@FAST
@given(code=CREDIT_CODES, position=st.integers(0, 16), data=st.data())
def test_a_changed_character_that_is_still_well_formed_is_caught_by_the_check_character(code: str, position: int, data: st.DataObject) -> None:
    allowed = AUTHORITIES if position == 0 else string.digits if 2 <= position <= 7 else CHARSET
    replacement = data.draw(st.sampled_from(allowed).filter(lambda c: c != code[position]))
    changed = code[:position] + replacement + code[position + 1 :]
    assert (validate_credit_code(changed) or "").startswith("统一社会信用代码校验位错误")


@FAST
@given(code=CREDIT_CODES, position=st.integers(0, 15))
def test_swapping_two_neighbouring_characters_is_caught(code: str, position: int) -> None:
    assume(code[position] != code[position + 1])
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert validate_credit_code(swapped) is not None


@FAST
@given(code=CREDIT_CODES, wrong=st.sampled_from(CHARSET))
def test_a_wrong_check_character_names_the_right_one(code: str, wrong: str) -> None:
    assume(wrong != code[17])
    assert validate_credit_code(code[:17] + wrong) == f"统一社会信用代码校验位错误：第18位应为“{code[17]}”，实为“{wrong}”"


@FAST
@given(text=st.text(max_size=40) | st.text(CHARSET + "IOZSV ", min_size=16, max_size=20))
def test_arbitrary_text_never_raises_and_only_well_formed_codes_pass(text: str) -> None:
    problem = validate_credit_code(text)
    assert problem is None or isinstance(problem, str) and problem
    if problem is None:
        code = normalize_credit_code(text)
        assert len(code) == 18 and set(code) <= set(CHARSET) and code[17] == check_character(code[:17])

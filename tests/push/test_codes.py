"""Reference tables and validators: credit codes, GB/T 4754 industries, GB/T 2260 regions, enterprise size."""

from __future__ import annotations

import pytest

from push_rules.credit_code import make_credit_code, validate_credit_code
from push_rules.enterprise_size import EnterpriseSize, EnterpriseSizeClassifier
from push_rules.industry_codes import IndustryTable
from push_rules.regions import RegionTable, within


@pytest.mark.parametrize("code", ["914403001922038216", "9144030071526726XG", "91330100716105852F", "91110108551385082Q"])
def test_real_credit_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("914403001922038217", "校验位错误：第18位应为“6”"),
        ("91440300192203821", "应为18位，当前为17位"),
        ("91440300192203821I", "不允许的字符：I"),
        ("B14403001922038216", "登记管理部门代码"),
    ],
)
def test_bad_credit_codes_are_explained(code: str, message: str) -> None:
    assert message in (validate_credit_code(code) or "")


def test_generated_credit_codes_validate() -> None:
    assert validate_credit_code(make_credit_code("150102", "MA0N0Q4F")) is None


def test_industry_codes_normalise_and_reject() -> None:
    table = IndustryTable.default()
    assert table.normalize("3911").code == "C3911"
    assert table.normalize("i65").path == ("信息传输、软件和信息技术服务业", "软件和信息技术服务业")
    assert len(table.divisions()) == 97
    with pytest.raises(ValueError, match="大类“98”不在"):
        table.normalize("98")
    with pytest.raises(ValueError, match="门类与大类不符"):
        table.normalize("A39")
    with pytest.raises(ValueError, match="中类“658”不在"):
        table.normalize("I6581")


def test_regions_cover_hohhot_counties_and_containment() -> None:
    regions = RegionTable.default()
    hohhot = {r.name for code in ["150102", "150103", "150104", "150105", "150121", "150122", "150123", "150124", "150125"] if (r := regions.get(code))}
    assert hohhot == {"新城区", "回民区", "玉泉区", "赛罕区", "土默特左旗", "托克托县", "和林格尔县", "清水河县", "武川县"}
    assert regions.get("150221").full_name == "内蒙古自治区包头市土默特右旗"  # type: ignore[union-attr]
    assert regions.get("440106").full_name == "广东省广州市天河区"  # type: ignore[union-attr]
    assert within("150105", "150100") and within("150105", "150000") and not within("150202", "150100")
    assert regions.resolve_name("内蒙古自治区呼和浩特市").code == "150100"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="不存在"):
        regions.validate("159999")


# (industry, indicator values exactly at each lower bound) for every sector of the 2017 table
SIZE_BOUNDARIES = [
    ("A0111", {"revenue": (20000, 500, 50)}),
    ("C3911", {"employees": (1000, 300, 20), "revenue": (40000, 2000, 300)}),
    ("E4710", {"revenue": (80000, 6000, 300), "assets": (80000, 5000, 300)}),
    ("F5111", {"employees": (200, 20, 5), "revenue": (40000, 5000, 1000)}),
    ("F5211", {"employees": (300, 50, 10), "revenue": (20000, 500, 100)}),
    ("G5411", {"employees": (1000, 300, 20), "revenue": (30000, 3000, 200)}),
    ("G5910", {"employees": (1000, 300, 20), "revenue": (30000, 3000, 200)}),
    ("G5920", {"employees": (200, 100, 20), "revenue": (30000, 1000, 100)}),
    ("G6010", {"employees": (1000, 300, 20), "revenue": (30000, 2000, 100)}),
    ("H6110", {"employees": (300, 100, 10), "revenue": (10000, 2000, 100)}),
    ("H6210", {"employees": (300, 100, 10), "revenue": (10000, 2000, 100)}),
    ("I6311", {"employees": (2000, 100, 10), "revenue": (100000, 1000, 100)}),
    ("I6513", {"employees": (300, 100, 10), "revenue": (10000, 1000, 50)}),
    ("K7010", {"revenue": (200000, 1000, 100), "assets": (10000, 5000, 2000)}),
    ("K7020", {"employees": (1000, 300, 100), "revenue": (5000, 1000, 500)}),
    ("L7211", {"employees": (300, 100, 10), "assets": (120000, 8000, 100)}),
    ("M7310", {"employees": (300, 100, 10)}),
    ("C4310", {"employees": (300, 100, 10)}),  # 金属制品、机械和设备修理业 is not 工业 in the 2017 table
]


@pytest.mark.parametrize(("industry", "bounds"), SIZE_BOUNDARIES, ids=[b[0] for b in SIZE_BOUNDARIES])
def test_size_boundaries_per_industry(industry: str, bounds: dict[str, tuple[float, float, float]]) -> None:
    classify = EnterpriseSizeClassifier.default().classify
    tiers = [EnterpriseSize.LARGE, EnterpriseSize.MEDIUM, EnterpriseSize.SMALL]
    for index, tier in enumerate(tiers):
        at = {k: v[index] for k, v in bounds.items()}
        values = {"employees": at.get("employees"), "revenue": at.get("revenue"), "assets": at.get("assets")}
        assert classify(industry, **values).size is tier, (industry, tier, values)
        for key in bounds:  # one indicator just below its lower bound drops one class
            below = dict(values)
            below[key] = at[key] - (1 if key == "employees" else 0.01)
            expected = tiers[index + 1] if index + 1 < len(tiers) else EnterpriseSize.MICRO
            assert classify(industry, **below).size is expected, (industry, key, below)


def test_size_with_missing_indicator() -> None:
    classify = EnterpriseSizeClassifier.default().classify
    result = classify("C3911", employees=500, revenue=None, assets=None)
    assert result.size is None and result.missing == ("revenue",)
    # below the small bound on one known indicator is micro whatever the other one is
    assert classify("C3911", employees=5, revenue=None, assets=None).size is EnterpriseSize.MICRO


def test_size_is_unknown_without_industry() -> None:
    """The 2017 method has no sector for an enterprise whose industry is unknown: 待完善, not the catch-all sector."""
    classify = EnterpriseSizeClassifier.default().classify
    for values in ({"employees": 20, "revenue": 100, "assets": 50}, {"employees": 2, "revenue": None, "assets": None}):
        result = classify(None, **values)
        assert result.size is None and result.sector is None and result.missing == ("industry",)
    assert classify("S", employees=20, revenue=100, assets=50).size is not None  # a real code of no listed sector

"""Enterprise qualifications (资质/称号) the rules can test: stable English slugs with Chinese labels."""

from __future__ import annotations

QUALIFICATIONS: dict[str, str] = {
    "high_tech": "高新技术企业",
    "tech_sme": "科技型中小企业",
    "innovative_sme": "创新型中小企业",
    "srdi_sme": "专精特新中小企业",
    "little_giant": "专精特新“小巨人”企业",
    "gazelle": "瞪羚企业",
    "unicorn": "独角兽企业",
    "advanced_tech_service": "技术先进型服务企业",
    "enterprise_tech_center": "企业技术中心",
    "agri_leading": "农业产业化龙头企业",
    "listed": "上市企业",
}

_ALIASES = {
    "高企": "high_tech",
    "国家高新技术企业": "high_tech",
    "专精特新小巨人": "little_giant",
    "专精特新\"小巨人\"": "little_giant",
    "专精特新“小巨人”": "little_giant",
    "小巨人企业": "little_giant",
    "专精特新企业": "srdi_sme",
    "瞪羚": "gazelle",
}
_BY_LABEL = {label: slug for slug, label in QUALIFICATIONS.items()} | _ALIASES

# bit positions for the vectorised matcher; append only
QUALIFICATION_BITS: dict[str, int] = {slug: i for i, slug in enumerate(QUALIFICATIONS)}


def normalize_qualification(value: str) -> str:
    """The slug of ``value`` (a slug or a Chinese label); ValueError with a Chinese message otherwise."""
    value = value.strip()
    if value in QUALIFICATIONS:
        return value
    if value in _BY_LABEL:
        return _BY_LABEL[value]
    raise ValueError(f"未知的企业资质“{value}”，可选：{'、'.join(QUALIFICATIONS.values())}")


def qualification_label(slug: str) -> str:
    return QUALIFICATIONS.get(slug, slug)

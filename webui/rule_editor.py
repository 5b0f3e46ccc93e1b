"""What the staff document page's rule editor (``static/rule_editor.js``) needs: the rule as rows, each suggested
row's evidence and confidence, and the choices of every field (regions, industries, sizes, ownership, the
qualification catalogue), so staff build a rule with pickers instead of JSON."""

from __future__ import annotations

from typing import Any

from push_rules.enterprise_size import EnterpriseSize
from push_rules.ownership import Ownership
from push_rules.rule_fields import FIELDS
from webui.page_portal import industry_options, region_options

# the fields a row can test, in the order the picker lists them, with the op a row on that field uses
EDITOR_FIELDS: list[tuple[str, str]] = [
    ("region", "region_within"), ("industry", "industry_prefix"), ("size", "in"), ("ownership", "in"),
    ("qualifications", "has_qualification"), ("established_on", "years_since"), ("employees", "range"),
    ("annual_revenue", "range"), ("total_assets", "range"), ("registered_capital", "range"), ("enterprise", "all_enterprises"),
]


def rule_editor_data(
    rule: dict[str, Any] | None, suggestion: dict[str, Any], qualifications: list[dict[str, Any]], doc_id: str, *, saved: bool
) -> dict[str, Any]:
    """The editor's initial state: ``rule`` (``saved``, else suggested: its rows wait to be accepted) and the
    suggestion's conditions by leaf."""
    evidence = [
        {"rule": c["rule"], "negated": c.get("negated", False), "evidence": c["evidence"], "confidence": c.get("confidence"), "source": c.get("source_label")}
        for c in suggestion.get("conditions", [])
    ]
    return {
        # regions and industries go to the page as <datalist>s (editor_options), not into this JSON
        "rule": rule,
        "saved": saved,
        "evidence": evidence,
        "needs_review": suggestion.get("needs_review", False),
        "review_reasons": suggestion.get("review_reasons", []),
        "fields": [{"name": name, "label": FIELDS[name].label if name != "enterprise" else "所有企业", "unit": FIELDS[name].unit, "op": op} for name, op in EDITOR_FIELDS],
        "sizes": [[s.value, s.label] for s in EnterpriseSize],
        "ownerships": [[o.value, o.label] for o in Ownership],
        "qualifications": [[q["slug"], q["label"]] for q in qualifications],
        "preview_url": f"/api/policies/{doc_id}/rules/preview",
    }


def editor_options() -> dict[str, list[tuple[str, str]]]:
    """The region and industry choices, rendered once as the editor's datalists."""
    return {"regions": region_options(), "industries": industry_options()}

"""Match one rule against every enterprise profile at once.

A rule is evaluated over the columnar snapshot (:class:`push_rules.profile_columns.ProfileColumns`) leaf by leaf,
each leaf by its op's vectorised test (:mod:`push_rules.rule_ops`), with three-valued (Kleene) logic, so the cost
of a policy is a few array passes over all profiles, independent of how many enterprises end up matching. Only
enterprises whose outcome is eligible or incomplete are kept, each with one state character per condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from push_rules.profile_columns import ProfileColumns
from push_rules.rule_ops import RULE_OPS
from push_rules.rules_schema import iter_leaves


@dataclass(frozen=True)
class RuleMatches:
    """Enterprises a rule does not exclude: ``eligible`` marks who meets it, the rest are incomplete."""

    enterprise_ids: np.ndarray  # int64
    eligible: np.ndarray  # bool, aligned with enterprise_ids
    condition_states: list[str]  # aligned with enterprise_ids
    evaluated: int  # number of profiles evaluated

    @property
    def eligible_count(self) -> int:
        return int(self.eligible.sum())

    @property
    def incomplete_count(self) -> int:
        return len(self.enterprise_ids) - self.eligible_count


def evaluate_leaf_columns(leaf: dict[str, Any], cols: ProfileColumns, today: date) -> tuple[np.ndarray, np.ndarray]:
    """(met, known) arrays of one condition over all profiles."""
    known = cols.known(leaf["field"])
    return RULE_OPS[leaf["op"]].met_columns(leaf, cols, today) & known, known


def _combine(node: dict[str, Any], leaf_results: Any) -> tuple[np.ndarray, np.ndarray]:
    """(met, failed) of a node, consuming its leaves' (met, failed) in order."""
    if "all" in node or "any" in node:
        children = [_combine(child, leaf_results) for child in node.get("all", node.get("any", []))]
        mets = [c[0] for c in children]
        fails = [c[1] for c in children]
        if "all" in node:
            return np.logical_and.reduce(mets), np.logical_or.reduce(fails)
        return np.logical_or.reduce(mets), np.logical_and.reduce(fails)
    if "not" in node:
        met, failed = _combine(node["not"], leaf_results)
        return failed, met
    return next(leaf_results)


def match_columns(rule: dict[str, Any], cols: ProfileColumns, today: date | None = None) -> RuleMatches:
    """Evaluate ``rule`` over the snapshot and keep the enterprises it does not exclude."""
    today = today or date.today()
    leaves = iter_leaves(rule)
    results = []
    for leaf in leaves:
        met, known = evaluate_leaf_columns(leaf, cols, today)
        results.append((met, known & ~met))
    met, failed = _combine(rule, iter(results))
    keep = np.flatnonzero(~failed)
    if len(keep) == 0 or not leaves:
        return RuleMatches(cols.ids[keep], met[keep], [""] * len(keep), len(cols))
    codes = np.empty((len(keep), len(leaves)), dtype=np.uint8)
    for j, (leaf_met, leaf_failed) in enumerate(results):
        codes[:, j] = np.where(leaf_met[keep], ord("Y"), np.where(leaf_failed[keep], ord("N"), ord("?")))
    raw = codes.tobytes().decode("ascii")
    width = len(leaves)
    states = [raw[i * width : (i + 1) * width] for i in range(len(keep))]
    return RuleMatches(cols.ids[keep], met[keep], states, len(cols))


@dataclass(frozen=True)
class RuleVerdicts:
    """A rule's verdict on every profile: ``met`` (eligible), ``failed`` (excluded), the rest incomplete; ``codes``
    holds each profile's leaf states (Y/N/? as bytes, one row per profile, leaves in :func:`iter_leaves` order)."""

    met: np.ndarray
    failed: np.ndarray
    codes: np.ndarray  # uint8, shape (profiles, leaves)


def verdicts(rule: dict[str, Any], cols: ProfileColumns, today: date | None = None) -> RuleVerdicts:
    """Every profile's outcome and leaf states under ``rule`` (excluded ones included)."""
    today = today or date.today()
    leaves = iter_leaves(rule)
    results = []
    for leaf in leaves:
        met, known = evaluate_leaf_columns(leaf, cols, today)
        results.append((met, known & ~met))
    met, failed = _combine(rule, iter(results))
    codes = np.empty((len(cols), len(leaves)), dtype=np.uint8)
    for j, (leaf_met, leaf_failed) in enumerate(results):
        codes[:, j] = np.where(leaf_met, ord("Y"), np.where(leaf_failed, ord("N"), ord("?")))
    return RuleVerdicts(np.asarray(met, dtype=bool), np.asarray(failed, dtype=bool), codes)

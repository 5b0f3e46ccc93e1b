"""Policy-type tags by keyword scores: a keyword in the title counts TITLE_WEIGHT times one in the body."""

from __future__ import annotations

import re

from policy.tags import POLICY_TAGS

TITLE_WEIGHT = 4
_TAG_SCAN_CHARS = 20000


def score_tags(text: str, title: str | None, *, max_tags: int, threshold: int) -> list[str]:
    """Policy-type slugs (keys of ``POLICY_TAGS``) that ``text`` is about, best first.

    :param text: the document text; its first 20,000 characters are scanned.
    :param title: the title, whose keywords weigh ``TITLE_WEIGHT`` times more.
    :returns: up to ``max_tags`` slugs scoring at least ``threshold``.
    """
    body: dict[str, int] = {}
    for keyword, count in _keyword_counts(text[:_TAG_SCAN_CHARS]).items():
        for slug in _KEYWORD_SLUGS[keyword]:
            body[slug] = body.get(slug, 0) + min(count, 5)
    in_title: dict[str, int] = {}
    for keyword in _keyword_counts(title or ""):
        for slug in _KEYWORD_SLUGS[keyword]:
            in_title[slug] = in_title.get(slug, 0) + 1
    scores = {
        slug: TITLE_WEIGHT * min(in_title.get(slug, 0), 2) + min(body.get(slug, 0), 12) for slug in POLICY_TAGS
    }
    best = max(scores.values())
    # A tag must pass the threshold and be at least a third as strong as the document's main topic.
    kept = [(-score, slug) for slug, score in scores.items() if score >= max(threshold, best / 3)]
    return [slug for _, slug in sorted(kept)[:max_tags]]


def _trie_pattern(words: list[str]) -> str:
    """One regex alternation for ``words`` shared by common prefixes, longest alternative first (fast to scan)."""
    if "" in words and len(words) == 1:
        return ""
    by_first: dict[str, list[str]] = {}
    optional = "" in words
    for word in words:
        if word:
            by_first.setdefault(word[0], []).append(word[1:])
    parts = [re.escape(c) + _trie_pattern(rest) for c, rest in sorted(by_first.items())]
    body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
    return f"(?:{body})?" if optional else body


_ALL_KEYWORDS = sorted({k for _, ks in POLICY_TAGS.values() for k in ks})
_ALL_KEYWORDS_RE = re.compile(_trie_pattern(_ALL_KEYWORDS))
# The slugs a matched keyword counts for: its own and those of shorter keywords inside it (疫情防控 → 疫情).
_KEYWORD_SLUGS: dict[str, tuple[str, ...]] = {
    k: tuple(slug for slug, (_, ks) in POLICY_TAGS.items() if any(other in k for other in ks)) for k in _ALL_KEYWORDS
}


def _keyword_counts(s: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in _ALL_KEYWORDS_RE.finditer(s):
        counts[m.group()] = counts.get(m.group(), 0) + 1
    return counts

"""Question normalisation before search: markup removed, Traditional → Simplified, full-width → half-width, and
common synonyms.

Abbreviations (高企, 小巨人, 人社局 …) are rewritten to the terms policy texts use, from ``qa/data/synonyms.txt``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any

import jieba
import opencc
from haystack import component

jieba.setLogLevel(logging.WARNING)

_SPACES = re.compile(r"\s+")
# Markup pasted into a question (from a web page, or an attack) is not part of what is asked: its words would count
# as key terms the library lacks and get a real question refused. Script and style bodies go with their tags.
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


@dataclass(frozen=True)
class SynonymRule:
    canonical: str
    alias: str
    keep_alias: bool  # "社保" → "社保（社会保险）" rather than "社会保险"

    def rewrite(self) -> str:
        return f"{self.alias}（{self.canonical}）" if self.keep_alias else self.canonical


def packaged_synonyms() -> dict[str, SynonymRule]:
    """The rules of ``qa/data/synonyms.txt``."""
    return load_synonyms((resources.files("qa") / "data" / "synonyms.txt").read_text(encoding="utf-8"))


def load_synonyms(text: str) -> dict[str, SynonymRule]:
    """Rules by alias from the ``canonical = a, b`` / ``canonical ~ a, b`` lines of a synonyms file."""
    rules: dict[str, SynonymRule] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"(.+?)\s*([=~])\s*(.+)", line)
        if match is None:
            raise ValueError(f"synonyms line {number} must read `canonical = alias, …` or `canonical ~ alias, …`: {raw!r}")
        canonical, operator, aliases = match.groups()
        for alias in re.split(r"[,，、]\s*", aliases):
            if alias.strip():
                rules[alias.strip()] = SynonymRule(canonical.strip(), alias.strip(), operator == "~")
    return rules


class QueryNormalizer:
    """Simplified, half-width, single-spaced text with abbreviations expanded.

    >>> QueryNormalizer().normalize("高企認定需要哪些條件？")
    '高新技术企业认定需要哪些条件?'
    """

    def __init__(self, synonyms: dict[str, SynonymRule] | None = None) -> None:
        self.synonyms = packaged_synonyms() if synonyms is None else synonyms
        self._t2s = opencc.OpenCC("t2s")

    @cached_property
    def _segmenter(self) -> jieba.Tokenizer:
        # A private jieba instance knowing every alias and canonical term, so aliases are found only as whole words.
        segmenter = jieba.Tokenizer()
        segmenter.initialize()
        for alias, rule in self.synonyms.items():
            segmenter.add_word(alias, freq=2000)
            segmenter.add_word(rule.canonical, freq=2000)
        return segmenter

    def simplify(self, text: str) -> str:
        """Simplified Chinese, NFKC (full-width letters, digits and punctuation → half-width), HTML tags removed,
        spaces collapsed."""
        half_width = unicodedata.normalize("NFKC", self._t2s.convert(text))
        return _SPACES.sub(" ", _TAG.sub(" ", _SCRIPT_OR_STYLE.sub(" ", half_width))).strip()

    def normalize(self, text: str) -> str:
        simplified = self.simplify(text)
        if not any(alias in simplified for alias in self.synonyms):
            return simplified
        words = self._segmenter.lcut(simplified, HMM=False)
        rewritten = []
        for word in words:
            rule = self.synonyms.get(word)
            # Leave the alias alone when the canonical term is already there ("社保（社会保险）" stays as it is).
            if rule is None or rule.canonical in simplified:
                rewritten.append(word)
            else:
                rewritten.append(rule.rewrite())
        return "".join(rewritten)


@component
class QueryNormalizerComponent:
    """Haystack wrapper: ``question`` in, normalised ``query`` out."""

    def __init__(self, normalizer: QueryNormalizer) -> None:
        self.normalizer = normalizer

    @component.output_types(query=str)
    def run(self, question: str) -> dict[str, Any]:
        return {"query": self.normalizer.normalize(question)}

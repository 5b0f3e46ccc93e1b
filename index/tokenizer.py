"""The one tokenizer for indexing and for queries, so both sides always produce the same tokens.

Text is normalised first (Traditional → Simplified, full-width → half-width, lower case), then cut by jieba
in search mode with a policy-domain user dictionary, and stopwords and punctuation are dropped.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import cached_property
from importlib import resources
from pathlib import Path

import jieba
import opencc

_DATA = resources.files("index") / "data"
_WORD_CHAR = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)

jieba.setLogLevel(logging.WARNING)


def _read_lines(name: str) -> list[str]:
    return [line.strip() for line in (_DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


class TextNormalizer:
    """Traditional → Simplified Chinese, full-width → half-width (NFKC), lower case."""

    def __init__(self) -> None:
        self._t2s = opencc.OpenCC("t2s")

    def normalize(self, text: str) -> str:
        return unicodedata.normalize("NFKC", self._t2s.convert(text)).lower()


class PolicyTokenizer:
    """jieba search-mode tokens with the policy dictionary, minus stopwords and punctuation.

    >>> PolicyTokenizer().tokenize("申请高新技术企业认定需要哪些条件？")
    ['申请', '高新', '技术', '企业', '高新技术企业', '认定', '条件']
    """

    def __init__(self, extra_userdict: Path | None = None) -> None:
        self._extra_userdict = extra_userdict
        self.normalizer = TextNormalizer()
        self.stopwords = frozenset(_read_lines("stopwords.txt"))

    @cached_property
    def _jieba(self) -> jieba.Tokenizer:
        # A private jieba instance: loading the dictionary is the slow part, done once, on first use.
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        # An open file, not a path: given a path, jieba opens the file and never closes it.
        with resources.as_file(_DATA / "policy_userdict.txt") as userdict, open(userdict, "rb") as lines:
            tokenizer.load_userdict(lines)
        if self._extra_userdict is not None:
            with open(self._extra_userdict, "rb") as lines:
                tokenizer.load_userdict(lines)
        return tokenizer

    def tokenize(self, text: str, *, guess_new_words: bool = True) -> list[str]:
        """``guess_new_words``: jieba's HMM joins characters into words its dictionary lacks (names, new terms —
        what indexing needs), which in colloquial text are often chance pairs ("店当" in "奶茶店当小时工")."""
        normalized = self.normalizer.normalize(text)
        return [
            token
            for token in self._jieba.cut_for_search(normalized, HMM=guess_new_words)
            if token.strip() and token not in self.stopwords and _WORD_CHAR.search(token)
        ]

    def word_boundaries(self, text: str) -> set[int]:
        """Offsets into ``normalize(text)`` where jieba's precise cut starts or ends a word: a cue such as 时间
        asks for a time in "办理时间" (办理|时间) but not in "长时间" (one word)."""
        offsets, position = {0}, 0
        for word in self._jieba.cut(self.normalizer.normalize(text)):
            position += len(word)
            offsets.add(position)
        return offsets

    def add_word(self, word: str) -> None:
        """Teach the dictionary a term (e.g. a new programme name) for later tokenization."""
        self._jieba.add_word(self.normalizer.normalize(word))

"""How much each word of a question matters, and how much of a question a piece of text covers.

A word's weight blends its rarity in the library (chunk-level IDF, counted once from the store and cached in the
data directory) with its rarity in general Chinese (jieba's bundled IDF table), so the weights stay sensible on
a tiny library too. Question words (哪些, 多少 …) weigh nothing. A compound the text does not contain as such
still counts for the share of its characters that its parts, found in the text, cover ("拖欠款项" in "拖欠中小企业
款项").
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

from index.tokenizer import PolicyTokenizer
from index.types import PolicyStore
from qa.query_normalizer import SynonymRule, packaged_synonyms

logger = logging.getLogger(__name__)

_GENERAL_IDF_CAP = 14.0
_RECHECK_SECONDS = 10.0  # how often the library's size is compared with the counted statistics


def _question_words() -> frozenset[str]:
    text = (resources.files("qa") / "data" / "question_words.txt").read_text(encoding="utf-8")
    return frozenset(word for line in text.splitlines() for word in line.split("#", 1)[0].split())


@dataclass(frozen=True)
class KeyTerms:
    """The weighted words of a question (normalised as the tokenizer normalises text)."""

    weights: dict[str, float]
    # Where the question's shorter terms sit inside its longer ones: jieba's search mode yields a compound together
    # with its parts ("拖欠款项": 拖欠 at 0, 款项 at 2), and texts often state the parts apart.
    parts: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    # The texts' word for a colloquial term the normaliser glossed ("员工（劳动者）"): either one covers the term.
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def coverage(self, normalized_text: str) -> float:
        """Weighted share of the terms that occur in ``normalized_text`` (0 when there are no terms); a compound
        that does not occur counts for the share of its characters covered by its parts that do."""
        total = self.total
        if total <= 0:
            return 0.0
        present = {
            term for term in self.weights
            if term in normalized_text or any(other in normalized_text for other in self.alternatives.get(term, ()))
        }
        covered = 0.0
        for term, weight in self.weights.items():
            if term in present:
                covered += weight
            elif term in self.parts:
                characters = {i for part, start in self.parts[term] if part in present for i in range(start, start + len(part))}
                covered += weight * len(characters) / len(term)
        return covered / total


class TermWeights:
    """Key terms of questions, weighted by rarity in the library and in general Chinese.

    >>> weights = TermWeights(tokenizer, store, cache_dir=Path("data"))
    >>> weights.key_terms("创业担保贷款额度是多少").weights
    {'创业': 0.55, '担保': 0.61, '贷款': 0.52, '创业担保贷款': 0.9, '额度': 0.58}
    """

    def __init__(
        self,
        tokenizer: PolicyTokenizer,
        store: PolicyStore,
        cache_dir: Path | None = None,
        synonyms: dict[str, SynonymRule] | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.store = store
        self.cache_dir = cache_dir
        self.question_words = _question_words()
        rules = packaged_synonyms() if synonyms is None else synonyms
        # "员工（劳动者）" as the normaliser writes it → (员工, 劳动者)
        self._glosses = {rule.rewrite(): (rule.alias, rule.canonical) for rule in rules.values() if rule.keep_alias}
        self._lock = threading.Lock()
        self._stats: tuple[tuple[int, int], int, dict[str, int]] | None = None  # (fingerprint, chunks, df)
        self._checked_at = 0.0

    def normalize(self, text: str) -> str:
        return self.tokenizer.normalizer.normalize(text)

    @cached_property
    def _general_idf(self) -> dict[str, float]:
        import jieba.analyse

        path = Path(jieba.analyse.__file__).parent / "idf.txt"
        table: dict[str, float] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            word, _, value = line.partition(" ")
            if value:
                table[word] = float(value)
        return table

    def _library_stats(self) -> tuple[int, dict[str, int]]:
        now = time.monotonic()
        if self._stats is not None and now - self._checked_at < _RECHECK_SECONDS:
            return self._stats[1], self._stats[2]
        fingerprint = (self.store.count_documents(), self.store.count_chunks())
        self._checked_at = now
        with self._lock:
            if self._stats is not None and self._stats[0] == fingerprint:
                return self._stats[1], self._stats[2]
            cached = self._read_cache(fingerprint)
            if cached is None:
                cached = self._count(fingerprint)
                self._write_cache(fingerprint, cached)
            self._stats = (fingerprint, cached[0], cached[1])
            return cached

    def _count(self, fingerprint: tuple[int, int]) -> tuple[int, dict[str, int]]:
        frequencies: Counter[str] = Counter()
        chunks = 0
        offset = 0
        while documents := self.store.list_documents(limit=200, offset=offset):
            offset += len(documents)
            for document in documents:
                for chunk in self.store.get_chunks(document.doc_id):
                    chunks += 1
                    frequencies.update(set(chunk.tokens) | set(chunk.heading_tokens))
        return chunks, dict(frequencies)

    def _cache_path(self) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / "qa_term_frequencies.json"

    def _read_cache(self, fingerprint: tuple[int, int]) -> tuple[int, dict[str, int]] | None:
        path = self._cache_path()
        if path is None or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if tuple(data.get("fingerprint", ())) != fingerprint:
            return None
        return int(data["chunks"]), {k: int(v) for k, v in data["df"].items()}

    def _write_cache(self, fingerprint: tuple[int, int], stats: tuple[int, dict[str, int]]) -> None:
        path = self._cache_path()
        if path is None:
            return
        temporary = path.with_suffix(".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps({"fingerprint": list(fingerprint), "chunks": stats[0], "df": stats[1]}, ensure_ascii=False), encoding="utf-8")
            temporary.replace(path)
        except OSError as error:  # only a cache: a full or read-only disk costs a recount next start, nothing more
            temporary.unlink(missing_ok=True)
            logger.warning("term frequency cache not written: %s", error)

    def weight(self, term: str, stats: tuple[int, dict[str, int]] | None = None) -> float:
        """A term's weight in [0, 1]: mean of its normalised library IDF and general IDF."""
        chunks, frequencies = stats or self._library_stats()
        library = math.log(1 + chunks / (frequencies.get(term, 0) + 1)) / math.log(1 + chunks) if chunks else 1.0
        general = min(self._general_idf.get(term, _GENERAL_IDF_CAP), _GENERAL_IDF_CAP) / _GENERAL_IDF_CAP
        return 0.5 * library + 0.5 * general

    def _terms_of(self, query: str, frequencies: dict[str, int]) -> list[str]:
        """The query's tokens; a word jieba guessed (its HMM joins characters its dictionary lacks) that no passage
        of the library holds is cut into dictionary words: in colloquial questions such guesses are mostly chance
        pairs ("店当" in "奶茶店当小时工", "能休" in "一年能休几天"), and as terms they would be missing from every text."""
        terms = []
        for token in self.tokenizer.tokenize(query):
            pieces = [token] if frequencies.get(token) else self.tokenizer.tokenize(token, guess_new_words=False)
            terms.extend(pieces or [token])
        return terms

    def key_terms(self, query: str) -> KeyTerms:
        """The question's tokens minus question words, each with its weight. A colloquial word glossed with the
        texts' term ("员工（劳动者）", ``qa/data/synonyms.txt``) is one term, weighed as asked, that either word
        covers: a statute saying 劳动者 answers a question about 员工."""
        stats = self._library_stats()
        alternatives: dict[str, tuple[str, ...]] = {}
        for gloss, (alias, canonical) in self._glosses.items():
            if gloss in query and alias in self.tokenizer.tokenize(alias):
                query = query.replace(gloss, alias)
                alternatives[alias] = (self.normalize(canonical),)
        weights: dict[str, float] = {}
        for token in self._terms_of(query, stats[1]):
            if token in self.question_words or token in weights:
                continue
            weights[token] = self.weight(token, stats)
        parts = {}
        for term in weights:
            inside = tuple((other, start) for other in weights if other != term for start in _occurrences(term, other))
            if inside:
                parts[term] = inside
        return KeyTerms(weights, parts, {alias: others for alias, others in alternatives.items() if alias in weights})


def _occurrences(text: str, part: str) -> list[int]:
    """Start offsets of ``part`` in ``text`` (overlapping ones too)."""
    starts = []
    start = text.find(part)
    while start >= 0:
        starts.append(start)
        start = text.find(part, start + 1)
    return starts

"""Split a policy document's text into chunks that follow its structure.

Chinese official documents number their parts in a fixed hierarchy: 第X编 > 第X章 > 第X节 > 第X条 for laws and
regulations, 一、 > （一） > 1. > （1） for notices and plans. :class:`PolicyChunker` finds these headings (at line
starts, and inside a line after a sentence end or a space, since some texts have lost their line breaks),
keeps a stack of the open headings, and gives every chunk the path of headings it sits under.

The headings make a tree. A subtree (a chapter, an article, an item) that fits in ``max_chars`` becomes one
chunk; a larger one is chunked child by child, so chunk boundaries fall on the highest-level boundaries
available. Text longer than ``max_chars`` under one heading is split at sentence ends (。！？； and line breaks);
a single sentence longer than that at runs of spaces (lost line breaks), then at clause marks (，、：), and only as
a last resort at ``max_chars``. Afterwards, a chunk shorter than ``min_chars`` is merged with a neighbour under
the same parent: a whole sibling, or the parent's introductory text. Every chunk's text is exactly
``text[char_start:char_end]`` without surrounding whitespace; chunks are in order, do not overlap and cover all
non-whitespace text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingestion.types import Chunk

_CN_NUM = "零〇一二三四五六七八九十百千两"
_DIGITS = "0-9０-９"
# Heading kinds, in rank order: a heading closes every open heading of the same or a deeper rank.
HEADING_PATTERN = re.compile(
    rf"(?:^|(?<=[。！？；：:!?;\s]))"
    rf"(?:(?P<part>第[{_CN_NUM}{_DIGITS}]+编)"
    rf"|(?P<chapter>第[{_CN_NUM}{_DIGITS}]+章)"
    rf"|(?P<section>第[{_CN_NUM}{_DIGITS}]+节)"
    rf"|(?P<article>第[{_CN_NUM}{_DIGITS}]+条(?:之[一二三四五六七八九十]+)?)"
    rf"|(?P<item>[一二三四五六七八九十百]+、)"
    rf"|(?P<subitem>[（(][一二三四五六七八九十百]+[）)])"
    rf"|(?P<point>[{_DIGITS}]{{1,2}}[.．、](?![{_DIGITS}]))"
    rf"|(?P<subpoint>[（(][{_DIGITS}]{{1,2}}[）)]))",
    re.MULTILINE,
)
_RANK = {"part": 1, "chapter": 2, "section": 3, "article": 4, "item": 5, "subitem": 6, "point": 7, "subpoint": 8}
_TITLED = frozenset({"part", "chapter", "section"})
_DIVISION = re.compile(rf"第[{_CN_NUM}{_DIGITS}]+[编章节]")
_SENTENCE_END = re.compile(r"[。！？；!?;][”’」』）)】》\"']*|\n")
# Inside a line, a run of spaces between Chinese characters is usually a lost line break (NCP texts).
_SPACE_BREAK = re.compile(r"(?<=[^\x00-\x7f])[ \t\u3000]+(?=[^\x00-\x7f])")
_CLAUSE_END = re.compile(r"[，,、：:][”’」』）)】》\"']*")
_BOUNDARIES = (_SENTENCE_END, _SPACE_BREAK, _CLAUSE_END)
_TITLE_END = re.compile(r"[。；;：:，,！？!?\s]")
_MAX_TITLE = 30
_MAX_HEADING_LINE = 40


@dataclass(frozen=True)
class _Span:
    """A stretch of text under one heading path; ``whole`` when it holds a complete subtree or intro."""

    start: int
    end: int
    path: tuple[str, ...]
    whole: bool = True


class PolicyChunker:
    """Structure-aware chunker for Chinese policy documents.

    >>> chunks = PolicyChunker(max_chars=60, min_chars=10).split(
    ...     "第一章 总则\\n第一条 为了促进中小企业发展，制定本法。\\n第二章 财税支持\\n第八条 中央财政应当在本级预算中设立中小企业科目。"
    ... )
    >>> [(chunk.section, chunk.text) for chunk in chunks]  # doctest: +NORMALIZE_WHITESPACE
    [('第一章 总则 > 第一条', '第一章 总则\\n第一条 为了促进中小企业发展，制定本法。'),
     ('第二章 财税支持 > 第八条', '第二章 财税支持\\n第八条 中央财政应当在本级预算中设立中小企业科目。')]
    """

    def __init__(self, max_chars: int = 400, min_chars: int = 80) -> None:
        if max_chars <= 0:
            raise ValueError(f"max_chars must be greater than 0. Currently, max_chars is {max_chars}")
        if min_chars < 0:
            raise ValueError(f"min_chars must not be negative. Currently, min_chars is {min_chars}")
        if min_chars > max_chars:
            raise ValueError(
                f"min_chars must not exceed max_chars. Currently, min_chars is {min_chars} and max_chars is {max_chars}"
            )
        self.max_chars = max_chars
        self.min_chars = min_chars

    def split(self, text: str) -> list[Chunk]:
        """Split ``text`` into chunks.

        :param text: the document text (as a reader extracted it).
        :returns: chunks in document order; ``[]`` when the text is only whitespace.
        """
        blocks = _fold_heading_lines(_blocks(text), text)
        if not blocks:
            return []
        spans = self._chunk_tree(text, blocks, 0)
        return [Chunk(text[span.start : span.end], span.start, span.end, span.path) for span in spans]

    def _chunk_tree(self, text: str, blocks: list[_Span], depth: int) -> list[_Span]:
        """Chunk the blocks of one subtree, whose paths share their first ``depth`` labels."""
        start, end = _trim(text, blocks[0].start, blocks[-1].end)
        if end - start <= self.max_chars:
            return [_Span(start, end, _common_prefix([block.path for block in blocks]))]
        results: list[_Span] = []
        intro_count = 0
        for group in _child_groups(blocks, depth):
            if len(group[0].path) == depth:  # the subtree's own text before its first child
                spans = self._split_text(text, group[0].start, group[-1].end, group[0].path)
                intro_count = len(spans)
            else:
                spans = self._chunk_tree(text, group, depth + 1)
            whole = len(spans) == 1
            results.extend(_Span(span.start, span.end, span.path, whole) for span in spans)
        return self._merge_small(results, intro_count, depth)

    def _merge_small(self, spans: list[_Span], intro_count: int, depth: int) -> list[_Span]:
        """Merge a chunk under ``min_chars`` into a neighbouring whole sibling or the parent's intro.

        Parts, chapters and sections (编/章/节) are never merged with each other: a chapter boundary is kept
        even when the chapter is a single short article.
        """
        merged: list[_Span] = []
        for index, span in enumerate(spans):
            if merged:
                previous = merged[-1]
                small = previous.end - previous.start < self.min_chars or span.end - span.start < self.min_chars
                fits = span.end - previous.start <= self.max_chars
                divisions = _is_division(previous, depth) or _is_division(span, depth)
                siblings = previous.whole and span.whole and not divisions
                intro_then_child = index == intro_count and intro_count > 0
                if small and fits and (siblings or intro_then_child):
                    path = _common_prefix([previous.path, span.path])
                    merged[-1] = _Span(previous.start, span.end, path, previous.whole and span.whole)
                    continue
            merged.append(span)
        return merged

    def _split_text(self, text: str, start: int, end: int, path: tuple[str, ...]) -> list[_Span]:
        """Text under one heading: sentences packed into chunks of at most ``max_chars``."""
        start, end = _trim(text, start, end)
        pieces: list[_Span] = []
        piece_start = piece_end = -1
        for span_start, span_end in self._spans_within_limit(text, start, end, 0):
            if piece_start < 0:
                piece_start, piece_end = span_start, span_end
            elif span_end - piece_start <= self.max_chars:
                piece_end = span_end
            else:
                pieces.append(_Span(piece_start, piece_end, path))
                piece_start, piece_end = span_start, span_end
        if piece_start >= 0:
            pieces.append(_Span(piece_start, piece_end, path))
        return pieces

    def _spans_within_limit(self, text: str, start: int, end: int, level: int) -> list[tuple[int, int]]:
        """Cut at sentence ends; a sentence still too long at spaces (lost line breaks), then clause marks."""
        if end - start <= self.max_chars:
            return [(start, end)] if start < end else []
        if level == len(_BOUNDARIES):
            # Last resort for a clause longer than max_chars: cut it into max_chars pieces.
            cuts = (_trim(text, cut, min(cut + self.max_chars, end)) for cut in range(start, end, self.max_chars))
            return [cut for cut in cuts if cut[0] < cut[1]]
        spans = []
        for span_start, span_end in _spans(text, start, end, _BOUNDARIES[level]):
            spans.extend(self._spans_within_limit(text, span_start, span_end, level + 1))
        return spans


def _is_division(span: _Span, depth: int) -> bool:
    return len(span.path) > depth and bool(_DIVISION.match(span.path[depth]))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _spans(text: str, start: int, end: int, boundary: re.Pattern[str]) -> list[tuple[int, int]]:
    """Trimmed, non-empty spans of ``text[start:end]`` cut after each ``boundary`` match."""
    spans = []
    position = start
    for match in boundary.finditer(text, start, end):
        spans.append(_trim(text, position, match.end()))
        position = match.end()
    spans.append(_trim(text, position, end))
    return [span for span in spans if span[0] < span[1]]


def _heading_label(text: str, kind: str, marker_end: int, marker: str) -> str:
    """``第十二条`` for articles; ``第三章 扶持措施`` for chapters; ``一、总体要求`` (first phrase) for items."""
    marker = "".join(marker.split())
    if kind == "article":
        return marker
    line_end = text.find("\n", marker_end)
    rest = text[marker_end : len(text) if line_end < 0 else line_end].strip()
    if kind in _TITLED and len(rest) <= _MAX_HEADING_LINE:
        return f"{marker} {' '.join(rest.split())}".strip()
    title_end = _TITLE_END.search(rest)
    title = rest[: title_end.start()] if title_end else rest
    if len(title) > _MAX_TITLE:
        title = title[:_MAX_TITLE] + "…"
    separator = " " if kind in _TITLED and title else ""
    return f"{marker}{separator}{title}"


def _at_line_start(text: str, position: int) -> bool:
    line_start = text.rfind("\n", 0, position) + 1
    return not text[line_start:position].strip()


def _blocks(text: str) -> list[_Span]:
    """Cut the text at each heading; each block carries the heading path open at its start."""
    blocks: list[_Span] = []
    stack: list[tuple[int, str]] = []
    block_start = 0
    for match in HEADING_PATTERN.finditer(text):
        kind = match.lastgroup or ""
        if kind == "article" and not _at_line_start(text, match.start()):
            # Inside a line, 第X条 is usually a citation ("依照本法第十二条规定"); an article heading is
            # followed by a space.
            if not text[match.end() : match.end() + 1].isspace():
                continue
        if match.start() > block_start:
            blocks.append(_Span(block_start, match.start(), tuple(label for _, label in stack)))
        rank = _RANK[kind]
        while stack and stack[-1][0] >= rank:
            stack.pop()
        stack.append((rank, _heading_label(text, kind, match.end(), match.group())))
        block_start = match.start()
    blocks.append(_Span(block_start, len(text), tuple(label for _, label in stack)))
    return [block for block in blocks if text[block.start : block.end].strip()]


def _fold_heading_lines(blocks: list[_Span], text: str) -> list[_Span]:
    """Attach a block that is only a heading line ("第一章 总则", "一、总体要求") to the block it heads.

    The block takes the path of the block it heads, so the chunk is cited as "第一章 总则 > 第一条".
    """
    folded: list[_Span] = []
    pending: _Span | None = None  # a heading-only block waiting for its first child
    for block in blocks:
        if pending is not None:
            if block.path[: len(pending.path)] == pending.path:
                block = _Span(pending.start, block.end, block.path)
            else:
                folded.append(pending)
            pending = None
        body = text[block.start : block.end].strip()
        # A heading line, or a bare title line before the first heading, goes with the text it heads.
        if len(body) <= _MAX_HEADING_LINE and not _SENTENCE_END.search(body):
            pending = block
        else:
            folded.append(block)
    if pending is not None:
        folded.append(pending)
    return folded


def _child_groups(blocks: list[_Span], depth: int) -> list[list[_Span]]:
    """Runs of consecutive blocks: the subtree's own text, then one run per child heading."""
    groups: list[list[_Span]] = []
    key: object = None
    for block in blocks:
        block_key = block.path[depth] if len(block.path) > depth else None
        if groups and block_key == key:
            groups[-1].append(block)
        else:
            groups.append([block])
            key = block_key
    return groups


def _common_prefix(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    prefix = paths[0]
    for path in paths[1:]:
        length = 0
        while length < min(len(prefix), len(path)) and prefix[length] == path[length]:
            length += 1
        prefix = prefix[:length]
    return prefix

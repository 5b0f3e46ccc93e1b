"""Saved web pages: keep the article, drop the portal around it.

Government portals wrap a policy in navigation bars, breadcrumbs, share buttons, related-article lists and
footers. The article is found by text mass: starting at ``<body>``, the reader walks down into the child
element that holds most of the page's non-link, non-furniture text, and stops where that text is spread over
several children (the article's paragraphs). The short blocks just before it (title, date and source line)
are then taken in. Hidden elements (``display:none``: the portals' text-to-speech copies of the article),
scripts and forms are removed first. Block elements become line breaks and table cells tabs, so the chunker
sees the document's paragraphs and headings as lines.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingestion.readers.text import decode_bytes, normalize_text
from ingestion.types import DocumentRejected, ExtractedText
from policy.formats import SourceFormat

# Walk into a child while it holds at least this share of its parent's article-like text.
DESCEND_SHARE = 0.65
# Blocks before the article body (title, date, source line) taken in with it, up to this share of its text.
HEADER_SHARE = 0.15
# A block whose visible text is more than this share link text is navigation, not article.
MAX_LINK_SHARE = 0.4
# Letters, digits and CJK characters that must be left for the page to count as a document.
MIN_ARTICLE_CHARS = 20

_DROP_SELECTOR = (
    "script, style, noscript, template, svg, canvas, iframe, object, embed, select, option, button, input, "
    "textarea, link, meta, map, audio, video, nav, [hidden], [aria-hidden=true]"
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Class/id words of page furniture. "head"/"foot" only as whole words: "article-head" is not furniture.
_CHROME_WORDS = re.compile(r"(?:^|[\s_-])(?:head|header|foot|footer|side|top|bottom)(?:$|[\s_-])", re.IGNORECASE)
_CHROME_PARTS = re.compile(
    r"nav|menu|breadcrumb|crumb|share|sidebar|related|copyright|toolbar|qrcode|ewm|dqwz|curmb|location|"
    r"search|login|footer|header",
    re.IGNORECASE,
)
# Whole lines that are page controls, not document text.
_CONTROL_LINE = re.compile(
    r"^[【\[]?\s*(?:分享到|分享|打印(?:本页)?|关闭(?:窗口|本页)?|返回顶部|收藏|字体[:：]?\s*[大中小\s]*|"
    r"扫一扫在手机打开当前页|扫一扫|相关附件|相关新闻|相关链接|相关文章|上一篇|下一篇|听全文|朗读|"
    r"(?:A\+?\s*[大中小]\s*){2,3})\s*[】\]]?[:：]?$"
)
# Page controls inside a line (the "published / source / views / font size" bar).
_CONTROL_FRAGMENT = re.compile(
    r"\s*(?:(?:浏览量|浏览次数|访问量|阅读数|点击数|点击量)[:：]\s*[-\d]*|"
    r"【?\s*(?:浏览)?字[号体]\s*[:：]?\s*[大中小\s]{3,}\s*】?)"
)
_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main menu ol p pre section summary table tbody "
    "thead tfoot tr ul".split()
)
_CELL_TAGS = frozenset({"td", "th"})
_COUNTED = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_WORDY = re.compile(r"\w")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_TITLE_SUFFIX = re.compile(r"\s*[-–—_|｜]\s*[^-–—_|｜]*(?:网站|门户|政府网|人民政府|官网|平台)\s*$")

Mass = dict[int, tuple[int, int]]


def _decode_html(data: bytes, name: str) -> tuple[str, str]:
    declared = _META_CHARSET.search(data[:4096])
    if declared and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        codec = declared.group(1).decode("ascii").lower()
        if codec in {"gb2312", "gbk", "gb18030", "x-gbk"}:
            codec = "gb18030"  # a superset: pages labelled gb2312 routinely use GBK characters
        try:
            return normalize_text(data.decode(codec)), codec
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong label is common; fall back to detection
    return decode_bytes(data, name)


def _title_hint(tree: LexborHTMLParser) -> str | None:
    for selector in ('meta[name="ArticleTitle"]', 'meta[property="og:title"]', 'meta[name="title"]'):
        meta = tree.css_first(selector)
        content = meta.attributes.get("content") if meta else None
        if content and content.strip():
            return _SPACES.sub(" ", content).strip()
    title = tree.css_first("title")
    if title is not None:
        text = _TITLE_SUFFIX.sub("", _SPACES.sub(" ", title.text()).strip()).strip()
        if text:
            return text
    return None


def _remove_noise(body: LexborNode) -> None:
    for node in body.css(_DROP_SELECTOR):
        node.decompose()
    for node in body.css("[style]"):
        # Some portals hide <body> until a script has run: only inner elements count as hidden.
        if node.tag not in ("body", "html") and _HIDDEN_STYLE.search(node.attributes.get("style") or ""):
            node.decompose()


def _text_mass(root: LexborNode) -> Mass:
    """``(text, link_text)`` letter/digit/CJK counts under each element, keyed by ``mem_id``."""
    mass: Mass = {}
    # Iterative post-order walk: pages nest deeply enough to make recursion fragile.
    stack: list[tuple[LexborNode, bool, bool]] = [(root, False, False)]
    totals: list[tuple[int, int]] = []
    while stack:
        node, in_link, visited = stack.pop()
        if visited:
            text = link = 0
            for _ in range(sum(1 for _ in node.iter(include_text=True))):
                child_text, child_link = totals.pop()
                text += child_text
                link += child_link
            mass[node.mem_id] = (text, link)
            totals.append((text, link))
            continue
        if node.is_text_node:
            count = len(_COUNTED.findall(node.text_content or ""))
            totals.append((0, count) if in_link else (count, 0))
            continue
        if not node.is_element_node:
            totals.append((0, 0))
            continue
        stack.append((node, in_link, True))
        link = in_link or node.tag == "a"
        for child in reversed(list(node.iter(include_text=True))):
            stack.append((child, link, False))
    return mass


def _is_chrome(node: LexborNode, mass: Mass) -> bool:
    """Navigation, link lists, footers: mostly link text, or a tag/class/id that names page furniture."""
    text, link = mass[node.mem_id]
    if link > MAX_LINK_SHARE * (text + link):
        return True
    if node.tag in ("header", "footer", "aside"):
        return True
    names = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
    return bool(_CHROME_WORDS.search(names) or _CHROME_PARTS.search(names))


def _element_children(node: LexborNode) -> list[LexborNode]:
    return [child for child in node.iter() if child.is_element_node]


def _article_body(body: LexborNode, mass: Mass) -> LexborNode:
    node = body
    while True:
        children = _element_children(node)
        if not children:
            return node
        # The share is of the text that is not page furniture, so a long footer cannot keep a short
        # article from being isolated.
        own_text = mass[node.mem_id][0] - sum(mass[child.mem_id][0] for child in children)
        content = own_text + sum(mass[child.mem_id][0] for child in children if not _is_chrome(child, mass))
        best = max(children, key=lambda child: mass[child.mem_id][0])
        if mass[best.mem_id][0] < DESCEND_SHARE * content or _is_chrome(best, mass):
            return node
        node = best


def _article_parts(body: LexborNode, mass: Mass) -> list[LexborNode]:
    """The article body plus the title/date blocks that precede it inside the same wrappers."""
    article = _article_body(body, mass)
    parts = [article]
    budget = HEADER_SHARE * mass[article.mem_id][0]
    node = article
    while node.mem_id != body.mem_id and node.parent is not None and node.parent.mem_id != body.mem_id:
        before: list[LexborNode] = []
        for sibling in _element_children(node.parent):
            if sibling.mem_id == node.mem_id:
                break
            if sum(mass[sibling.mem_id]) > 0:
                before.append(sibling)
        if any(_is_chrome(sibling, mass) for sibling in before):
            break
        budget -= sum(mass[sibling.mem_id][0] for sibling in before)
        if budget < 0:
            break
        parts[:0] = before
        node = node.parent
    return parts


def _render(root: LexborNode) -> list[str]:
    """Visible text lines: block elements on their own lines, table cells joined by tabs."""
    parts: list[str] = []
    # (node, closing, cell depth): inside a table cell, blocks are joined by spaces to keep one row a line.
    stack: list[tuple[LexborNode, bool, int]] = [(root, False, 0)]
    while stack:
        node, closing, in_cell = stack.pop()
        if closing:
            parts.append("\t" if node.tag in _CELL_TAGS else (" " if in_cell else "\n"))
            continue
        if node.is_text_node:
            parts.append(_SPACES.sub(" ", node.text_content or ""))
            continue
        if not node.is_element_node:
            continue
        tag = node.tag
        if tag == "br":
            parts.append(" " if in_cell else "\n")
            continue
        if tag in _BLOCK_TAGS:
            parts.append(" " if in_cell else "\n")
        child_cell = in_cell + (tag in _CELL_TAGS)
        if tag in _BLOCK_TAGS or tag in _CELL_TAGS:
            stack.append((node, True, in_cell))
        for child in reversed(list(node.iter(include_text=True))):
            stack.append((child, False, child_cell))
    lines = []
    for line in "".join(parts).split("\n"):
        cells = [" ".join(cell.split()).strip("\u3000") for cell in _CONTROL_FRAGMENT.sub("", line).split("\t")]
        line = "\t".join(cell for cell in cells if cell)
        if _WORDY.search(line) and not _CONTROL_LINE.match(line):
            lines.append(line)
    return lines


def read_html(data: bytes, name: str) -> ExtractedText:
    """Read a saved web page, returning the article text and the page's declared title.

    :param data: the page's bytes.
    :param name: the file name, used in rejection reasons.
    :returns: the article's text, one paragraph per line.
    :raises DocumentRejected: no ``<body>`` or no article text.
    """
    source, encoding = _decode_html(data, name)
    tree = LexborHTMLParser(source)
    title = _title_hint(tree)
    body = tree.body
    if body is None:
        raise DocumentRejected(name, "HTML 文件没有正文（<body>）部分，无法提取文本；请上传完整保存的网页。")
    _remove_noise(body)
    mass = _text_mass(body)
    parts = _article_parts(body, mass)
    text_mass = sum(mass[part.mem_id][0] for part in parts)
    link_mass = sum(mass[part.mem_id][1] for part in parts)
    if link_mass > text_mass:
        raise DocumentRejected(
            name, "这个网页主要是链接列表（栏目页或目录页），没有找到文章正文；请打开具体文章页面保存后再上传。"
        )
    text = "\n".join(line for part in parts for line in _render(part))
    if len(_COUNTED.findall(text)) < MIN_ARTICLE_CHARS:
        raise DocumentRejected(name, "网页中没有找到正文文字（可能是需要脚本加载的页面或空白页）；请保存包含正文的网页或上传原文件。")
    return ExtractedText(text=text, source_format=SourceFormat.HTML, encoding=encoding, title_hint=title)

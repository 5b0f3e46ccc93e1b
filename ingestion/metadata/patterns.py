"""Character classes and the patterns several field families share (compiled once at import)."""

from __future__ import annotations

import re

CJK = "\u3400-\u9fff"
WS = "\\s\u200b-\u200d\ufeff"  # \s covers the ideographic space and no-break space
STRIP = " \t\r\n\u3000\xa0\u2002\u2003\u200b\u200c\u200d\ufeff"
CN_DIGIT = "〇○零Ｏ一二三四五六七八九"
CN_SMALL = "一二三四五六七八九十"
HEAD_CHARS = 3000  # labelled fields, title lines and the status field are looked for this far into the text

SENTENCE_PUNCT_RE = re.compile(r"[，。；！？：:,;!?]")
TITLE_VERB_RE = re.compile(r"联合印发|关于|印发|转发")
DOC_TYPE = (
    r"(?:通知|通告|公告|意见|办法|决定|规定|细则|条例|方案|规划|计划|措施|指南|指引|纲要|标准|目录|清单|答疑|倡议书|"
    r"公开信|批复|函|报告|守则|规则|规程|要点|说明|须知|制度|章程|法|决议|命令|通报|告知书|提示|声明|问答|解读|若干政策|"
    r"公示|名单|简介|详解|常见问题|安排|复函|意见稿|导则|举措)"
)
TITLE_END_RE = re.compile(rf"{DOC_TYPE}(?:[（(][^（）()\n]{{1,24}}[）)])*$")
FIELD_LABEL_RE = re.compile(
    r"成文日期|发布日期|发文日期|文\s*号|标\s*题|索\s*引\s*号|主题分类|发文字号|时\s*效\s*性|废止日期|生效日期|备案登记号|"
    r"发布时间|[ \t\u3000]{2,}|\t"
)

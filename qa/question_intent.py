"""What a question asks for, and whether a text can answer that.

People rarely name the article they need: 「怎么申请」 wants the procedure, 「要带啥」 the materials, 「能补多少」 an
amount. :func:`question_intent` reads that intent from ordinary wording; :func:`states_fact` tells whether a text
states the kind of fact a value question asks for (an amount, a count, a duration, a date, a contact), so a
passage that is on topic but lacks the figure is not quoted as if it answered; :func:`heading_fits` tells whether a
section heading is the one such a question is usually answered by (申请材料, 办理流程, 补贴标准 …).
"""

from __future__ import annotations

import re
from functools import lru_cache

from policy.labels import LabelledEnum


class Intent(LabelledEnum):
    CONTACT = "contact", "联系方式"
    MATERIALS = "materials", "申请材料"
    PROCEDURE = "procedure", "办理程序"
    CONDITIONS = "conditions", "条件"
    DURATION = "duration", "期限"
    DATE = "date", "日期"
    AMOUNT = "amount", "金额或标准"
    COUNT = "count", "数量"
    LIST = "list", "清单"
    OVERVIEW = "overview", "主要内容"
    YESNO = "yesno", "是否"
    FACT = "fact", ""

_NUM = r"[\d一二三四五六七八九十百千万两几]"

# Tried in this order: the first that matches is the intent. The more specific wants come first (「交哪些材料」 is
# materials before it is a list; 「要满足哪些条件」 conditions).
_QUESTION_PATTERNS: list[tuple[Intent, re.Pattern[str]]] = [
    (Intent.CONTACT, re.compile(r"电话|热线|联系方式|联系人|怎么联系|邮箱|网址|哪个网站|什么网站|地址在哪|办公地址")),
    (Intent.MATERIALS, re.compile(
        r"材料|资料|带(什么|啥|哪些)|准备(什么|啥|哪些)|交(什么|啥|哪些)(东西|证)?|提交(什么|啥|哪些)|提供(什么|啥|哪些)|(要|需要)(什么|哪些|啥)证|证件"
    )),
    (Intent.PROCEDURE, re.compile(
        r"(怎么|怎样|如何|咋)(去|来|才能|能|可以)?(补|再|重新|网上)?(申请|办|弄|申报|领|报|操作|登记|备案|注册|提交|认定|走|开通|认证|参加|参保|缴|交|退|转|续|兑现|享受|拿到|领到)"
        r"|流程|程序|步骤|手续|去哪(里|儿)?(办|申请|领|报|交)|在哪(里|儿)?(办|申请|领|报|交)|哪里(能|可以)?(办|申请|领|报)"
        r"|途径|渠道|(网上|线上|手机上?)(能|可以)?(办|申请|申报)"
    )),
    (Intent.CONDITIONS, re.compile(
        r"条件|资格|门槛|(什么样?的?|哪些|哪类|啥样的?)(人|企业|单位|公司|个体户|商户|老板|员工|职工|学生|家庭)(才)?(能|可以|有资格|符合)"
        r"|谁(能|可以|有资格)|符合(什么|哪些|啥)|要满足|需(要)?满足|适用(对象|范围)|申请对象|支持对象|补贴对象|享受对象"
    )),
    (Intent.DURATION, re.compile(
        r"多久|多长时间|多长期限|几天|几个月|几年|多少天|多少个?工作日|多少年|期限|时限|有效期|(办|弄)完|办结|多快|截止|期满|最长|最晚"
    )),
    (Intent.DATE, re.compile(r"什么时候|啥时候|何时|哪天|几号|哪一?年|哪个月|日期")),
    (Intent.AMOUNT, re.compile(
        r"多少钱|多少元|多少万|几万|几千|几百块|金额|额度|比例|百分之几|几成|利率|费率|标准是|什么标准|多少块钱|几块钱"
        r"|(补贴|补助|奖励|资助|罚款|罚|赔偿|补偿|工资|费|贷款|贷|贴息|报销|发|给|补|奖|拿|领|扣|减免|退|交|缴)[^，。？?]{0,8}多少"
        r"|多少[^，。？?]{0,4}(补贴|补助|奖励|资助|罚款|赔偿|补偿|钱|费|贷款)"
    )),
    (Intent.COUNT, re.compile(r"(?<!哪)几(个|项|类|种|家|条|名|次)(?!月|工作日)|多少(个|项|类|种|家|条|名|人|次|户|所)")),
    (Intent.LIST, re.compile(
        r"有哪些|哪几(类|种|个|项|方面)|包括哪些|包括什么|包含哪些|分为|分成|分哪|都有(什么|啥|哪些)"
        r"|有(什么|啥)(措施|政策|支持|优惠|补贴|扶持|举措|服务|规定|办法|好处|福利)|哪些(措施|政策|方面|情形|情况|行为|项目|补贴|优惠|支持)"
    )),
    (Intent.OVERVIEW, re.compile(
        r"主要(管|讲|规定|内容|说|是)|讲(了|的)?(什么|啥|哪些)|管(哪些|什么|啥)|说(了|的)?(什么|啥)|大概|概括|内容是什么|目的|宗旨|是(个|一个)?(什么|啥)(政策|文件|条例|办法|法|规定)"
        r"|为了(干|解决|做)?(什么|啥)|(干|做)(嘛|啥|什么)(的|用)|为什么(要)?(出台|制定|搞|定)|出台.{0,6}(原因|背景)"
    )),
    (Intent.YESNO, re.compile(r"吗[？?！!。\s]*$|能不能|可不可以|是不是|是否|有没有|会不会|算不算|行不行|要不要|需不需要|用不用|可以.{0,12}[么吗]")),
]

# What a text holds when it states the fact a value question asks for.
_STATES: dict[Intent, re.Pattern[str]] = {
    Intent.AMOUNT: re.compile(
        rf"{_NUM}[\d.,，]*\s*(?:万元|亿元|千元|百元|元|块|%|％|‰|倍|个百分点|成)|百分之|全额|减半|免征|免收|免予|免缴|不收取|按.{{0,12}}(?:标准|比例|工资|基数)"
    ),
    Intent.COUNT: re.compile(rf"{_NUM}+\s*(?:个|项|类|种|家|条|名|人|次|户|所|批|款)"),
    Intent.DURATION: re.compile(
        rf"{_NUM}+\s*(?:个)?(?:工作日|自然日|日|天|个月|月|年|周|小时|季度)|当场|即时|即办|立即|当日|当天|随到随办|长期有效"
    ),
    Intent.DATE: re.compile(r"\d{4}\s*年|[〇○零一二三四五六七八九]{4}年|\d{1,2}\s*月\s*\d{1,2}\s*日|[一二三四五六七八九十]+月[一二三四五六七八九十]+日|之日起|起施行|起执行"),
    Intent.CONTACT: re.compile(
        r"\d{3,4}\s*[-—－]\s*\d{7,8}|\(\d{3,4}\)\s*\d{7,8}|（\d{3,4}）\s*\d{7,8}|\b1[3-9]\d{9}\b|12345|12333|12366|邮箱|@|https?://|www\.|网址|地址[:：]|联系人"
    ),
}

VALUE_INTENTS = frozenset(_STATES)

_HEADINGS: dict[Intent, re.Pattern[str]] = {
    Intent.PROCEDURE: re.compile(
        r"(?:申请|申报|办理|受理|审批|兑现|认定|办事|工作|操作|审核|评审|登记)(?:程序|流程|步骤|方式|途径|渠道)|申报方式|如何申请|怎么办理|办理指南|申请办理"
    ),
    Intent.MATERIALS: re.compile(r"(?:申请|申报|所需|提交|提供|需要|报送|办理)(?:的)?(?:材料|资料)|材料清单|材料目录|需提供|应提交|应当提交|提交以下"),
    Intent.CONDITIONS: re.compile(
        r"(?:申报|申请|享受|认定|基本|资格|准入|补贴|支持|资助|扶持|奖励)条件|(?:支持|补贴|资助|扶持|申报|申请|适用|服务|奖励|补助)对象|适用范围|享受.{0,10}应当|须同时具备|应当具备|符合下列条件"
    ),
    Intent.AMOUNT: re.compile(r"(?:补贴|支持|奖励|资助|补助|扶持|收费|赔偿|救济|发放|缴费|缴存)(?:标准|金额|额度|比例|方式)|标准和期限|资金标准"),
    Intent.DURATION: re.compile(r"(?:受理|办结|办理|承诺|审批|申报|实施|执行|补贴|享受)(?:时间|时限|期限)|有效期|办理时限|时间安排"),
    Intent.DATE: re.compile(r"(?:申报|实施|施行|执行|受理|开始)(?:时间|日期)|施行日期|生效"),
    Intent.CONTACT: re.compile(r"联系方式|咨询电话|联系电话|联系人|咨询方式|监督电话|咨询单位|联系地址|受理地点|办理地点"),
    Intent.OVERVIEW: re.compile(r"(?:^|>\s*)第一条\s*$|立法目的|^(?:第一条\s*)?为了?[^。]{2,90}(?:制定|特制定|制订)本"),
}


@lru_cache(maxsize=4096)  # the ranker, the fact check and the composer each ask it of the same question
def question_intent(question: str) -> Intent:
    """The main thing ``question`` asks for (:attr:`Intent.FACT` when nothing more specific is recognised).

    >>> question_intent("开个小饭馆办营业执照要带啥")
    <Intent.MATERIALS: 'materials'>
    """
    for intent, pattern in _QUESTION_PATTERNS:
        if pattern.search(question):
            return intent
    return Intent.FACT


def states_fact(intent: Intent, text: str) -> bool:
    """Whether ``text`` states the kind of fact ``intent`` asks for; True for intents that ask for no value
    (procedure, conditions, lists …), where any relevant text may answer."""
    pattern = _STATES.get(intent)
    return pattern is None or bool(pattern.search(text))


def heading_fits(intent: Intent, heading: str) -> bool:
    """Whether a section heading ("第二章 > 第一条", "三、申报材料") or a passage's opening is where ``intent`` is
    usually answered."""
    pattern = _HEADINGS.get(intent)
    return pattern is not None and bool(pattern.search(heading))

"""Ownership (企业性质 / 登记注册类型) of an enterprise: a profile field the rules can test (``in`` / ``equals``)."""

from __future__ import annotations

from policy.labels import LabelledEnum


class Ownership(LabelledEnum, unknown="企业性质“{value}”无效"):
    """The ownership classes staff and enterprises recognise; 港澳台资 is kept apart from 外资 as registrations do."""

    STATE = "state", "国有", "国有企业", "国有控股", "国有独资"
    COLLECTIVE = "collective", "集体", "集体企业", "集体所有制"
    PRIVATE = "private", "私营", "私营企业", "民营", "民营企业"
    FOREIGN = "foreign", "外资", "外商投资", "外商投资企业", "外资企业"
    HMT = "hmt", "港澳台资", "港澳台商投资", "港澳台商投资企业", "港澳台资企业"
    MIXED = "mixed", "混合所有制", "混合所有制企业"
    OTHER = "other", "其他"


OWNERSHIP_ORDER: list[str] = [o.value for o in Ownership]

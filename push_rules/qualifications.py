"""Enterprise qualifications (资质/称号) the rules can test: stable slugs with Chinese labels.

The built-in catalogue is :data:`QUALIFICATIONS`; admins add more (港澳青年企业, 老字号 …) through
:class:`QualificationCatalog`, which the push service keeps in its database. Every slug any catalogue of this
process knows gets a label and a bit (:func:`qualification_label`, :func:`qualification_bit`), so explanations
and the vectorised matcher work alike for built-in and added qualifications; which slugs a profile or a rule may
use is decided by the service's own catalogue (:meth:`QualificationCatalog.normalize`)::

    catalog = QualificationCatalog()
    catalog.add("hk_macao_youth", "港澳青年企业", ["港澳青年创业企业"])
    catalog.normalize("港澳青年企业")     # "hk_macao_youth"
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

QUALIFICATIONS: dict[str, str] = {
    "high_tech": "高新技术企业",
    "tech_sme": "科技型中小企业",
    "innovative_sme": "创新型中小企业",
    "srdi_sme": "专精特新中小企业",
    "little_giant": "专精特新“小巨人”企业",
    "gazelle": "瞪羚企业",
    "unicorn": "独角兽企业",
    "advanced_tech_service": "技术先进型服务企业",
    "enterprise_tech_center": "企业技术中心",
    "agri_leading": "农业产业化龙头企业",
    "listed": "上市企业",
    "manufacturing_champion": "制造业单项冠军企业",
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "high_tech": ("高企", "国家高新技术企业"),
    "little_giant": ("专精特新小巨人", "专精特新\"小巨人\"", "专精特新“小巨人”", "小巨人企业"),
    "srdi_sme": ("专精特新企业",),
    "gazelle": ("瞪羚",),
    "manufacturing_champion": ("单项冠军企业", "制造业单项冠军"),
}

MAX_QUALIFICATIONS = 64  # one bit each in the matcher's uint64 column
_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class QualificationRefused(ValueError):
    """A qualification an admin may not add; ``field`` names the input at fault (slug, label, aliases)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Qualification:
    slug: str
    label: str
    aliases: tuple[str, ...] = ()
    builtin: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"slug": self.slug, "label": self.label, "aliases": list(self.aliases), "builtin": self.builtin}


class _Registry:
    """Labels and matcher bits of every slug known in this process (built-in first, append only)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.labels: dict[str, str] = dict(QUALIFICATIONS)
        self.bits: dict[str, int] = {slug: i for i, slug in enumerate(QUALIFICATIONS)}

    def register(self, slug: str, label: str) -> None:
        with self._lock:
            self.labels[slug] = label
            if slug not in self.bits:
                if len(self.bits) >= MAX_QUALIFICATIONS:
                    raise ValueError(f"企业资质目录已满（上限{MAX_QUALIFICATIONS}项）")
                self.bits[slug] = len(self.bits)


_REGISTRY = _Registry()
BUILTIN: tuple[Qualification, ...] = tuple(Qualification(slug, label, _ALIASES.get(slug, ())) for slug, label in QUALIFICATIONS.items())


def qualification_label(slug: str) -> str:
    return _REGISTRY.labels.get(slug, slug)


def qualification_bit(slug: str) -> int | None:
    """The slug's bit in :class:`push_rules.profile_columns.ProfileColumns`; None for a slug no catalogue knows."""
    return _REGISTRY.bits.get(slug)


class QualificationCatalog:
    """The qualifications profiles and rules may use: the built-in ones plus those an admin added."""

    def __init__(self, added: Iterable[Qualification] = ()) -> None:
        self._entries: dict[str, Qualification] = {q.slug: q for q in BUILTIN}
        self._lock = threading.Lock()
        for qualification in added:
            self._register(qualification)

    def entries(self) -> list[Qualification]:
        return list(self._entries.values())

    def added(self) -> list[Qualification]:
        return [q for q in self._entries.values() if not q.builtin]

    def _register(self, qualification: Qualification) -> None:
        _REGISTRY.register(qualification.slug, qualification.label)
        self._entries[qualification.slug] = qualification

    def check_new(self, slug: str, label: str, aliases: Iterable[str] = ()) -> Qualification:
        """The qualification an admin asks to add, checked against the catalogue.

        :raises QualificationRefused: with a Chinese message and the field at fault (bad slug, a name taken, full).
        """
        slug, label = slug.strip(), label.strip()
        names = [a.strip() for a in aliases if a.strip()]
        if not _SLUG.match(slug):
            raise QualificationRefused(f"资质标识“{slug}”无效：应为2–40位小写字母、数字或下划线，以字母开头，如 hk_macao_youth", "slug")
        if not label or len(label) > 40:
            raise QualificationRefused("资质名称不能为空，且不超过40个字", "label")
        if slug in self._entries:
            raise QualificationRefused(f"资质标识“{slug}”已存在（{self._entries[slug].label}）", "slug")
        for name, field in [(label, "label"), *((n, "aliases") for n in names)]:
            taken = self._lookup(name)
            if taken is not None:
                raise QualificationRefused(f"资质名称“{name}”已存在（{taken.label}，标识 {taken.slug}）", field)
        if len(_REGISTRY.bits) >= MAX_QUALIFICATIONS and slug not in _REGISTRY.bits:
            raise QualificationRefused(f"企业资质目录已满（上限{MAX_QUALIFICATIONS}项）", "slug")
        return Qualification(slug, label, tuple(dict.fromkeys(names)), builtin=False)

    def add(self, slug: str, label: str, aliases: Iterable[str] = ()) -> Qualification:
        """Check and add a qualification (the caller stores it). :raises QualificationRefused: see :meth:`check_new`."""
        with self._lock:
            qualification = self.check_new(slug, label, aliases)
            self._register(qualification)
            return qualification

    def load(self, qualifications: Iterable[Qualification]) -> None:
        """Add stored qualifications this catalogue does not have yet (another process may have added them)."""
        with self._lock:
            for qualification in qualifications:
                if qualification.slug not in self._entries:
                    self._register(qualification)

    def _lookup(self, name: str) -> Qualification | None:
        name = name.strip()
        if name in self._entries:
            return self._entries[name]
        for qualification in self._entries.values():
            if name == qualification.label or name in qualification.aliases:
                return qualification
        return None

    def normalize(self, value: str) -> str:
        """The slug of ``value`` (a slug, a label or an alias).

        :raises ValueError: with a Chinese message listing the catalogue when ``value`` names none.
        """
        found = self._lookup(value)
        if found is None:
            raise ValueError(f"未知的企业资质“{value.strip()}”，可选：{'、'.join(q.label for q in self._entries.values())}")
        return found.slug


BUILTIN_CATALOG = QualificationCatalog()


def normalize_qualification(value: str) -> str:
    """The slug of a built-in qualification named by ``value``; ValueError with a Chinese message otherwise."""
    return BUILTIN_CATALOG.normalize(value)

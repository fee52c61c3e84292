"""Which input columns a plan can grow, in what unit and by what step."""

from __future__ import annotations

from fractions import Fraction
from typing import Final

import attrs

from ..data.fields import LEVEL_TEACHER_SUFFIXES

__all__ = ["RESOURCES", "Resource", "resource_for"]


@attrs.frozen
class Resource:
    """A level-free section field a plan can add to."""

    field: str
    unit_zh: str
    unit_en: str
    step: Fraction
    mode: str
    #: Per level (``{level}_{field}``) rather than a whole-school facility.
    per_level: bool = False


_TEACHER_MODES: Final = {
    "teachers": "hire",
    "pe_art_teachers": "hire",
    "backbone_teachers": "designate",
    "teachers_above_degree": "upgrade",
    "teachers_mid_title": "designate",
    "certified_teachers": "upgrade",
}

RESOURCES: Final[dict[str, Resource]] = {
    **{
        suffix: Resource(suffix, "人", "persons", Fraction(1), _TEACHER_MODES[suffix], True)
        for suffix in LEVEL_TEACHER_SUFFIXES
    },
    "teaching_aux_area": Resource("teaching_aux_area", "平方米", "m²", Fraction(1), "build"),
    "sports_area": Resource("sports_area", "平方米", "m²", Fraction(1), "build"),
    "building_area": Resource("building_area", "平方米", "m²", Fraction(1), "build"),
    "site_area": Resource("site_area", "平方米", "m²", Fraction(1), "build"),
    # Equipment value is held in yuan; the statistics' unit is 0.01 万元 = 100 元.
    "equipment_value": Resource("equipment_value", "元", "yuan", Fraction(100), "buy"),
    "computers": Resource("computers", "台", "computers", Fraction(1), "buy"),
    "books": Resource("books", "册", "volumes", Fraction(1), "buy"),
    "multimedia_rooms": Resource("multimedia_rooms", "间", "rooms", Fraction(1), "build"),
    "labs": Resource("labs", "间", "rooms", Fraction(1), "build"),
    "music_rooms": Resource("music_rooms", "间", "rooms", Fraction(1), "build"),
    "art_rooms": Resource("art_rooms", "间", "rooms", Fraction(1), "build"),
}


def resource_for(field: str) -> Resource | None:
    """The resource behind a level-free section field, or None if it cannot grow."""
    return RESOURCES.get(field)

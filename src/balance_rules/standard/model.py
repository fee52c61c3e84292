"""The in-memory form of a resolved standard: plain, immutable attrs classes.

A :class:`Standard` is what the loader produces after merging every layer of an
``extends`` chain; each value knows the layer, file and line that set it
(:attr:`Standard.provenance`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import attrs

__all__ = [
    "Citation",
    "Coefficients",
    "Composite",
    "CountyFact",
    "Derivation",
    "Document",
    "EarlyWarning",
    "Exclusion",
    "ExtraField",
    "Group",
    "Indicator",
    "Label",
    "Origin",
    "Rounding",
    "Rule",
    "SchoolKOfN",
    "SchoolThreshold",
    "Split",
    "Standard",
    "Threshold",
    "size_band",
]

Op = Literal[">=", ">", "<=", "<", "=="]
Lang = Literal["zh", "en"]


@attrs.frozen
class Label:
    """A Chinese label with an optional English one."""

    zh: str
    en: str | None = None

    def text(self, lang: str = "zh") -> str:
        """The label in *lang*, falling back to Chinese."""
        return self.en if lang == "en" and self.en else self.zh


@attrs.frozen
class Document:
    """The policy document a standard (layer) implements."""

    document: str
    title: str | None = None
    issuer: str | None = None
    issued: str | None = None
    url: str | None = None


@attrs.frozen
class Citation:
    """Where a rule or indicator comes from: document number and article."""

    document: str
    article: str

    def __str__(self) -> str:
        return f"{self.document} {self.article}"


@attrs.frozen
class Origin:
    """Which layer, file and line set a value."""

    layer: str
    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.layer} ({self.file}:{self.line})" if self.line else self.layer


@attrs.frozen
class Indicator:
    """An indicator computed per school section: sum(numerator) / denominator * scale."""

    id: str
    label: Label
    numerator: tuple[str, ...]
    source: Citation
    denominator: str | None = None
    scale: Decimal = Decimal(1)
    unit: Label | None = None
    confidence: str = "confirmed"
    note: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        """Every section field the indicator reads."""
        return (*self.numerator, self.denominator) if self.denominator else self.numerator


@attrs.frozen
class ExtraField:
    """A data column or county fact the standard uses beyond the canonical ones."""

    name: str
    label: Label
    aliases: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every name the field may appear under in the data, most specific first."""
        return tuple(dict.fromkeys((self.name, *self.aliases, self.label.zh)))


@attrs.frozen
class Exclusion:
    """Schools matching every condition are out of scope, with ``reason``."""

    reason: str
    label: Label | None
    conditions: Mapping[str, tuple[str, ...]]
    students_below: Decimal | None = None
    source: Citation | None = None


@attrs.frozen
class Split:
    """How combined schools' facilities are split between level sections."""

    weights: Mapping[str, Mapping[str, Decimal]]
    items: tuple[str, ...]


@attrs.frozen
class Group:
    """A part of the evaluation (resource allocation, vetoes, ...)."""

    id: str
    label: Label
    required: bool = True
    order: int = 0


@attrs.frozen
class Threshold:
    """A threshold per level, optionally chosen by a school attribute.

    ``cases[level]`` maps an attribute value (or ``"default"``) to the value; a
    threshold with no ``by`` has only ``"default"`` cases.
    """

    cases: Mapping[str, Mapping[str, Decimal]]
    by: str | None = None

    def for_level(self, level: str, attribute: str | None) -> tuple[Decimal | None, str]:
        """The value for *level* and the school's attribute, with the case key used."""
        cases = self.cases.get(level)
        if cases is None:
            return None, ""
        if attribute is not None and attribute in cases:
            return cases[attribute], attribute
        if "default" in cases:
            return cases["default"], "default"
        return None, ""


def size_band(
    students: Decimal | Fraction | float | None, cases: Mapping[str, object]
) -> str | None:
    """The ``under_N`` case a school of *students* falls in (smallest N), else "default".

    None when the school's size is unknown.
    """
    if students is None or students != students:  # None or NaN
        return None
    bands = sorted(int(key[6:]) for key in cases if key.startswith("under_"))
    for limit in bands:
        if students < limit:
            return f"under_{limit}"
    return "default"


@attrs.frozen
class Rounding:
    """Round a value to ``decimals`` places before it is compared."""

    decimals: int
    mode: str = "half_up"


@attrs.frozen(kw_only=True)
class _RuleBase:
    id: str
    group: str
    source: Citation
    label: Label | None = None
    veto: bool = False
    confidence: str = "confirmed"
    note: str | None = None
    origin: Origin


@attrs.frozen(kw_only=True)
class SchoolThreshold(_RuleBase):
    """Each school section of ``levels`` must satisfy ``indicator op threshold``."""

    indicator: str
    op: Op
    threshold: Threshold
    levels: tuple[str, ...]
    kind: Literal["school_threshold"] = "school_threshold"


@attrs.frozen(kw_only=True)
class SchoolKOfN(_RuleBase):
    """At least ``min_met`` of ``rules`` pass, and unmet ones reach ``floor_ratio``."""

    rules: tuple[str, ...]
    min_met: int
    floor_ratio: Decimal | None = None
    kind: Literal["school_k_of_n"] = "school_k_of_n"


@attrs.frozen(kw_only=True)
class Coefficients(_RuleBase):
    """Student-weighted CVs of ``indicators`` per level, each capped by ``max``."""

    indicators: tuple[str, ...]
    max: Mapping[str, Decimal]
    levels: tuple[str, ...]
    rounding: Rounding | None = None
    kind: Literal["coefficients"] = "coefficients"


@attrs.frozen(kw_only=True)
class Composite(_RuleBase):
    """Mean of the ``indicators``' CVs per level, capped by ``max``."""

    indicators: tuple[str, ...]
    max: Mapping[str, Decimal]
    levels: tuple[str, ...]
    rounding: Rounding | None = None
    kind: Literal["composite"] = "composite"


@attrs.frozen
class Derivation:
    """How to compute a county fact from its schools when it is not supplied."""

    numerator: str
    denominator: str
    scale: Decimal = Decimal(1)


@attrs.frozen(kw_only=True)
class CountyFact(_RuleBase):
    """A county fact compared with a number, or a yes/no that must match."""

    fact: str
    op: Op
    threshold: Decimal | bool
    derive: Derivation | None = None
    kind: Literal["county_fact"] = "county_fact"


Rule = SchoolThreshold | SchoolKOfN | Coefficients | Composite | CountyFact


@attrs.frozen(kw_only=True)
class EarlyWarning(_RuleBase):
    """An early-warning rule of annual monitoring (``warning_*`` kinds).

    It never decides a verdict: ``balance_rules.monitor`` runs it over two
    consecutive years of results.  ``watches`` names the rule it watches (a
    ``coefficients``/``composite`` rule for the CV kinds, a ``school_k_of_n`` rule
    for ``warning_k_of_n_lost``); ``margin`` (a CV within it of its cap) or
    ``rise`` (a CV up by more than it on the year before) is its figure.
    """

    kind: Literal["warning_cv_margin", "warning_cv_rise", "warning_k_of_n_lost"]
    watches: str
    levels: tuple[str, ...]
    margin: Decimal | None = None
    rise: Decimal | None = None
    severity: Literal["yellow", "red"] = "yellow"


@attrs.frozen(kw_only=True)
class Standard:
    """A resolved standard: every layer merged, every value with its origin."""

    id: str
    title: Label
    version: str
    source: Document
    layers: tuple[str, ...]
    levels: tuple[str, ...]
    extra_fields: Mapping[str, ExtraField]
    exclusions: tuple[Exclusion, ...]
    split: Split
    indicators: Mapping[str, Indicator]
    groups: Mapping[str, Group]
    rules: Mapping[str, Rule]
    #: Early-warning rules (``warning_*`` kinds), kept apart: they decide no verdict.
    warnings: Mapping[str, EarlyWarning] = attrs.field(factory=dict)
    provenance: Mapping[tuple[str, ...], Origin] = attrs.field(repr=False)
    overridden: Mapping[tuple[str, ...], tuple[Origin, Any]] = attrs.field(repr=False)
    document: Mapping[str, Any] = attrs.field(repr=False)
    digest: str

    def origin(self, *path: str) -> Origin | None:
        """The origin of the value at *path* (or of its closest recorded ancestor)."""
        key = tuple(path)
        while key:
            if key in self.provenance:
                return self.provenance[key]
            key = key[:-1]
        return None

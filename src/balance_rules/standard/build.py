"""Turn a merged, checked standard document into the :class:`Standard` model."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .model import (
    Citation,
    Coefficients,
    Composite,
    CountyFact,
    Derivation,
    Document,
    EarlyWarning,
    Exclusion,
    ExtraField,
    Group,
    Indicator,
    Label,
    Origin,
    Rounding,
    Rule,
    SchoolKOfN,
    SchoolThreshold,
    Split,
    Standard,
    Threshold,
)

__all__ = ["build_standard"]


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _label(value: Mapping[str, Any] | None) -> Label | None:
    if value is None:
        return None
    return Label(zh=value["zh"], en=value.get("en"))


def _citation(value: Mapping[str, Any] | None, default_document: str) -> Citation:
    value = value or {}
    return Citation(
        document=value.get("document", default_document), article=value.get("article", "")
    )


def _threshold(value: Any, levels: tuple[str, ...]) -> Threshold:
    if not isinstance(value, Mapping):
        return Threshold({level: {"default": _dec(value)} for level in levels})
    cases: dict[str, dict[str, Decimal]] = {}
    for level, level_value in value.items():
        if level == "by":
            continue
        if isinstance(level_value, Mapping):
            cases[level] = {str(k): _dec(v) for k, v in level_value.items()}
        else:
            cases[level] = {"default": _dec(level_value)}
    return Threshold(cases, by=value.get("by"))


def _cap(value: Any, levels: tuple[str, ...]) -> dict[str, Decimal]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {level: _dec(v) for level, v in value.items()}
    return {level: _dec(value) for level in levels}


def _rounding(value: Mapping[str, Any] | None) -> Rounding | None:
    if value is None:
        return None
    return Rounding(decimals=int(value["decimals"]), mode=value.get("mode", "half_up"))


def _rule(
    rule_id: str,
    raw: Mapping[str, Any],
    levels: tuple[str, ...],
    document: str,
    origin: Origin,
) -> Rule:
    common: dict[str, Any] = {
        "id": rule_id,
        "group": raw["group"],
        "source": _citation(raw.get("source"), document),
        "label": _label(raw.get("label")),
        "veto": bool(raw.get("veto", False)),
        "confidence": raw.get("confidence", "confirmed"),
        "note": raw.get("note"),
        "origin": origin,
    }
    rule_levels = tuple(raw.get("levels", levels))
    kind = raw["kind"]
    if kind == "school_threshold":
        return SchoolThreshold(
            **common,
            indicator=raw["indicator"],
            op=raw["op"],
            threshold=_threshold(raw["threshold"], rule_levels),
            levels=rule_levels,
        )
    if kind == "school_k_of_n":
        floor = raw.get("floor_ratio")
        return SchoolKOfN(
            **common,
            rules=tuple(raw["rules"]),
            min_met=int(raw["min_met"]),
            floor_ratio=None if floor is None else _dec(floor),
        )
    if kind in ("coefficients", "composite"):
        cls = Coefficients if kind == "coefficients" else Composite
        return cls(
            **common,
            indicators=tuple(raw["indicators"]),
            max=_cap(raw.get("max"), rule_levels),
            levels=rule_levels,
            rounding=_rounding(raw.get("rounding")),
        )
    derive = raw.get("derive")
    threshold = raw["threshold"]
    return CountyFact(
        **common,
        fact=raw["fact"],
        op=raw["op"],
        threshold=threshold if isinstance(threshold, bool) else _dec(threshold),
        derive=None
        if derive is None
        else Derivation(
            numerator=derive["numerator"],
            denominator=derive["denominator"],
            scale=_dec(derive.get("scale", 1)),
        ),
    )


def _warning(
    rule_id: str, raw: Mapping[str, Any], levels: tuple[str, ...], document: str, origin: Origin
) -> EarlyWarning:
    margin, rise = raw.get("margin"), raw.get("rise")
    return EarlyWarning(
        id=rule_id,
        group=raw["group"],
        source=_citation(raw.get("source"), document),
        label=_label(raw.get("label")),
        confidence=raw.get("confidence", "confirmed"),
        note=raw.get("note"),
        origin=origin,
        kind=raw["kind"],
        watches=raw["watches"],
        levels=tuple(raw.get("levels", levels)),
        margin=None if margin is None else _dec(margin),
        rise=None if rise is None else _dec(rise),
        severity=raw.get("severity", "yellow"),
    )


def build_standard(
    document: Mapping[str, Any],
    *,
    layers: tuple[str, ...],
    provenance: Mapping[tuple[str, ...], Origin],
    overridden: Mapping[tuple[str, ...], tuple[Origin, Any]],
    digest: str,
) -> Standard:
    """Build the model; *document* must already be schema- and semantically valid."""
    source = document["source"]
    own_document = source["document"]
    levels = tuple(document["levels"])
    root = provenance[()]

    def origin(*path: str) -> Origin:
        key = tuple(path)
        while key and key not in provenance:
            key = key[:-1]
        return provenance.get(key, root)

    indicators = {}
    for ind_id, raw in document["indicators"].items():
        numerator = raw["numerator"]
        indicators[ind_id] = Indicator(
            id=ind_id,
            label=Label(zh=raw["label"]["zh"], en=raw["label"].get("en")),
            numerator=(numerator,) if isinstance(numerator, str) else tuple(numerator),
            denominator=raw.get("denominator"),
            scale=_dec(raw.get("scale", 1)),
            unit=_label(raw.get("unit")),
            source=_citation(raw.get("source"), own_document),
            confidence=raw.get("confidence", "confirmed"),
            note=raw.get("note"),
        )
    groups = {
        gid: Group(
            id=gid,
            label=Label(zh=raw["label"]["zh"], en=raw["label"].get("en")),
            required=bool(raw.get("required", True)),
            order=int(raw.get("order", index)),
        )
        for index, (gid, raw) in enumerate(document["groups"].items())
    }
    rules = {
        rid: _rule(rid, raw, levels, own_document, origin("rules", rid))
        for rid, raw in document["rules"].items()
        if not raw["kind"].startswith("warning_")
    }
    warnings = {
        rid: _warning(rid, raw, levels, own_document, origin("rules", rid))
        for rid, raw in document["rules"].items()
        if raw["kind"].startswith("warning_")
    }
    exclusions = tuple(
        Exclusion(
            reason=reason,
            label=_label(raw.get("label")),
            conditions={k: tuple(v) for k, v in raw["when"].items() if k != "students_below"},
            students_below=None
            if raw["when"].get("students_below") is None
            else _dec(raw["when"]["students_below"]),
            source=None if raw.get("source") is None else _citation(raw["source"], own_document),
        )
        for reason, raw in document["scope"]["exclude"].items()
    )
    split = Split(
        weights={
            school_type: {level: _dec(w) for level, w in weights.items()}
            for school_type, weights in document["split"]["weights"].items()
        },
        items=tuple(document["split"]["items"]),
    )
    return Standard(
        id=document["id"],
        title=Label(zh=document["title"]["zh"], en=document["title"].get("en")),
        version=str(document["version"]),
        source=Document(
            document=own_document,
            title=source.get("title"),
            issuer=source.get("issuer"),
            issued=source.get("issued"),
            url=source.get("url"),
        ),
        layers=layers,
        levels=levels,
        extra_fields={
            name: ExtraField(
                name=name,
                label=Label(zh=raw["label"]["zh"], en=raw["label"].get("en")),
                aliases=tuple(raw.get("aliases", ())),
            )
            for name, raw in document.get("fields", {}).items()
        },
        exclusions=exclusions,
        split=split,
        indicators=indicators,
        groups=groups,
        rules=rules,
        warnings=warnings,
        provenance=dict(provenance),
        overridden=dict(overridden),
        document=document,
        digest=digest,
    )

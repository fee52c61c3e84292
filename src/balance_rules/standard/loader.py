"""Finding, reading, checking and merging standard files into a :class:`Standard`.

The flow: locate a file (bundled id or path) -> read it safely -> check it against
the schema (a layer against the layer schema) -> load its parent -> merge by key,
recording which layer, file and line set every value -> check the merged result
against the full schema and the semantic checks -> build the model.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..errors import Problem, StandardError, UnknownStandardError, did_you_mean
from ..numbers import number_problems
from ..paths import OutsideRootError, confine, resolve_named
from ..yamlio import LineMap, YamlReadError, line_of, read_yaml, read_yaml_text
from . import checks
from .build import build_standard
from .compare import Change, rule_changes
from .model import Origin, Standard
from .schema import format_path, schema_problems

__all__ = [
    "bundled_dir",
    "bundled_ids",
    "digest",
    "load_standard",
    "standard_from_mapping",
    "standard_from_text",
    "validate_standard",
]

#: Keys a layer sets for itself; they replace the parent's instead of merging.
_OWN_KEYS = frozenset({"format", "id", "title", "version", "source", "note"})
_NOT_MERGED = frozenset({"extends", "remove"})
#: A mapping with none of these keys is not a standard (and is not quoted back).
_STANDARD_KEYS = frozenset({"format", "id", "extends", "rules"})


def bundled_dir() -> Path:
    """The folder of the standards bundled with the package."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "standards"
    if installed.is_dir():
        return installed
    # Running from a source checkout (editable install): <repo>/standards.
    return here.parent.parent / "standards"


def bundled_ids() -> list[str]:
    """Ids of every bundled standard, e.g. ``national/quality-2017``."""
    root = bundled_dir()
    if not root.is_dir():
        return []
    return sorted(
        p.relative_to(root).with_suffix("").as_posix()
        for p in root.rglob("*.yaml")
        if not p.name.endswith(".cases.yaml")
    )


def _locate_file(
    name: str, base: Path | None, root: Path | str | None = None, *, named: bool = False
) -> Path:
    """A bundled id, or a path (relative to *base* when given).

    *named*: the name was written in a file (``extends:``), so under a *root* it
    may not be absolute; either way, under a *root* no path may leave it
    (:class:`~balance_rules.paths.OutsideRootError`, raised before any access).
    """
    candidate = bundled_dir() / f"{name}.yaml"
    if (
        "/" in name
        and not name.endswith((".yaml", ".yml"))
        and ".." not in Path(name).parts
        and candidate.is_file()
    ):
        return candidate
    if named:
        path = resolve_named(name, base, root)
    else:
        path = Path(name)
        if base is not None and not path.is_absolute():
            path = base / path
        path = confine(path, root)
    if path.is_file():
        return path
    raise UnknownStandardError(name, bundled_ids())


@attrs.define
class _Layer:
    """One file of a chain, read and checked on its own."""

    document: LineMap
    file: str
    layer_id: str


@attrs.define
class _Merge:
    """The merged document and where every node of it came from."""

    document: dict[str, Any] = attrs.field(factory=dict)
    provenance: dict[tuple[str, ...], Origin] = attrs.field(factory=dict)
    overridden: dict[tuple[str, ...], tuple[Origin, Any]] = attrs.field(factory=dict)
    layers: list[str] = attrs.field(factory=list)
    #: Locked rules a layer loosened; reported once the merged result is schema-valid.
    lock_problems: list[Problem] = attrs.field(factory=list)

    def locate(self, path: tuple[Any, ...]) -> tuple[str, int | None]:
        key = tuple(str(p) for p in path)
        while key:
            origin = self.provenance.get(key)
            if origin is not None:
                return origin.file, origin.line
            key = key[:-1]
        origin = self.provenance.get(())
        return (origin.file, origin.line) if origin else ("<standard>", None)


def _read_layer(text: str | None, file: str) -> _Layer:
    try:
        document = read_yaml_text(text, file) if text is not None else read_yaml(Path(file))
    except YamlReadError as exc:
        raise StandardError(exc.problems, f"{file}: cannot read the standard") from None
    return _checked_layer(document, file)


def _checked_layer(document: Any, file: str) -> _Layer:
    if not isinstance(document, dict) or not _STANDARD_KEYS & set(document):
        # Says nothing of what the file holds: it may not be meant to be read at all.
        raise StandardError(
            [Problem("a standard file must be a mapping of keys (id, title, rules, ...)", file)],
            f"{file}: not a standard file",
        )
    if not isinstance(document, LineMap):
        document = _as_linemap(document)

    def locate(path: tuple[Any, ...]) -> tuple[str, int | None]:
        return file, line_of(document, path)

    is_layer = "extends" in document
    # NaN, infinities, absurd magnitudes: refused before anything computes with them.
    problems = list(number_problems(document, locate))
    problems = problems or schema_problems(document, locate, layer=is_layer)
    if problems:
        raise StandardError(problems, f"{file}: {len(problems)} problem(s)")
    _fill_default_documents(document)
    return _Layer(document, file, str(document["id"]))


def _as_linemap(value: Any) -> Any:
    if isinstance(value, Mapping):
        result = LineMap({k: _as_linemap(v) for k, v in value.items()})
        return result
    if isinstance(value, list | tuple):
        return [_as_linemap(v) for v in value]
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _fill_default_documents(document: LineMap) -> None:
    """A citation without ``document`` cites the document of the layer it is in."""
    own = document.get("source", {}).get("document")
    if own is None:
        return
    sections: list[Any] = [
        document.get("rules", {}),
        document.get("indicators", {}),
        document.get("groups", {}),
        document.get("scope", {}).get("exclude", {}),
    ]
    for section in sections:
        for entry in section.values():
            source = entry.get("source") if isinstance(entry, dict) else None
            if isinstance(source, dict) and "document" not in source:
                source["document"] = own
    split_source = document.get("split", {}).get("source")
    if isinstance(split_source, dict) and "document" not in split_source:
        split_source["document"] = own


def _merge_chain(first: _Layer, base: Path | None, root: Path | str | None = None) -> _Merge:
    chain = [first]
    seen = {first.file}
    while "extends" in chain[-1].document:
        child = chain[-1]
        parent_name, _, pinned = str(child.document["extends"]).partition("@")
        child_dir = Path(child.file).parent if child.file.endswith((".yaml", ".yml")) else base
        try:
            parent_path = _locate_file(parent_name, child_dir, root, named=True)
        except OutsideRootError as exc:
            raise StandardError(
                [
                    Problem(
                        f"extends {parent_name!r}: {exc}",
                        file=child.file,
                        line=child.document.key_lines.get("extends"),
                        path="extends",
                        message_zh=f"extends {parent_name!r}：{exc.message_zh}",
                    )
                ],
                f"{child.file}: parent standard outside the allowed folder",
                f"{child.file}：上级标准不在允许的文件夹之内",
            ) from None
        except UnknownStandardError as exc:
            line = child.document.key_lines.get("extends")
            raise StandardError(
                [
                    Problem(
                        f"extends {parent_name!r}, which is neither a bundled standard nor a file",
                        file=child.file,
                        line=line,
                        path="extends",
                        suggestion=exc.suggestion,
                    )
                ],
                f"{child.file}: missing parent standard",
            ) from None
        key = str(parent_path.resolve())
        if key in seen:
            names = " -> ".join([layer.layer_id for layer in chain] + [parent_name])
            raise StandardError(
                [Problem(f"extends chain is a cycle: {names}", file=child.file, path="extends")],
                f"{child.file}: cyclic extends",
            )
        seen.add(key)
        try:
            parent = _read_layer(None, str(parent_path))
        except StandardError as exc:  # say which file led here
            line = child.document.key_lines.get("extends")
            where = f"{child.file}:{line}" if line else child.file
            raise StandardError(
                exc.problems,
                f"{exc.summary or parent_path} (extended by {where})",
                f"{exc.summary_text('zh') or parent_path}（由 {where} 的 extends 引用）",
            ) from None
        version = str(parent.document.get("version", ""))
        if pinned and pinned != version:
            raise StandardError(
                [
                    Problem(
                        f"extends {parent_name}@{pinned}, but {parent_path} is version {version!r}",
                        file=child.file,
                        line=child.document.key_lines.get("extends"),
                        path="extends",
                    )
                ],
                f"{child.file}: parent version mismatch",
            )
        chain.append(parent)
    merged = _Merge()
    for layer in reversed(chain):
        _apply_layer(merged, layer)
    return merged


def _apply_layer(merged: _Merge, layer: _Layer) -> None:
    document = layer.document
    merged.layers.append(layer.layer_id)

    def origin(path: tuple[str, ...]) -> Origin:
        return Origin(layer.layer_id, layer.file, line_of(document, path))

    problems = _unknown_overrides(merged, layer) if merged.layers[:-1] else []
    locked = _locked_rules(merged)
    problems += _apply_removals(merged, layer, locked)
    merged.provenance[()] = origin(())
    for key, value in document.items():
        if key in _NOT_MERGED:
            continue
        path = (str(key),)
        if key in _OWN_KEYS:
            _replace(merged, merged.document, key, value, path, origin)
        else:
            _merge_value(merged, merged.document, key, value, path, origin)
    merged.lock_problems += _loosened_locks(merged, layer, locked)
    if problems:
        raise StandardError(problems, f"{layer.file}: cannot apply the layer")


#: In a layer, a new entry of these sections must carry its defining key.
_DEFINING_KEY = {"rules": "kind", "indicators": "numerator", "groups": "label"}


def _unknown_overrides(merged: _Merge, layer: _Layer) -> list[Problem]:
    """Entries the layer changes but the parent does not have, and that are not new ones."""
    problems = []
    for section, defining in _DEFINING_KEY.items():
        existing = merged.document.get(section, {})
        for key, value in layer.document.get(section, {}).items():
            if key in existing or not isinstance(value, dict) or defining in value:
                continue
            problems.append(
                Problem(
                    f"changes {section[:-1]} {key!r}, which the parent standard does not have "
                    f"(a new {section[:-1]} needs `{defining}:`)",
                    file=layer.file,
                    line=line_of(layer.document, (section, key)),
                    path=f"{section}.{key}",
                    suggestion=did_you_mean(key, existing),
                )
            )
    return problems


def _locked_rules(merged: _Merge) -> dict[str, dict[str, Any]]:
    """Deep copies of the parent's locked rules, before a child layer applies."""
    rules = merged.document.get("rules", {})
    return {rid: copy.deepcopy(rule) for rid, rule in rules.items() if rule.get("locked")}


def _loosened_locks(
    merged: _Merge, layer: _Layer, locked: Mapping[str, dict[str, Any]]
) -> list[Problem]:
    problems = []
    rules = merged.document.get("rules", {})
    levels = merged.document.get("levels", [])
    for rule_id, before in locked.items():
        after = rules.get(rule_id)
        if after is None:
            continue  # reported by _apply_removals
        offending = [
            c
            for c in rule_changes(rule_id, before, after, levels)
            if c.direction in ("loosened", "changed", "removed")
        ]
        if not after.get("locked"):
            offending.append(
                Change(("rules", rule_id, "locked"), "changed", True, after.get("locked"))
            )
        for change in offending:
            where = merged.provenance.get(change.path) or merged.provenance.get(change.path[:3])
            locked_at = _lock_origin(merged, rule_id)
            problems.append(
                Problem(
                    f"{change.direction} locked rule {rule_id!r}: {format_path(change.path[2:])} "
                    f"{_show(change.old)} -> {_show(change.new)}; locked in {locked_at}, "
                    "children may only tighten it",
                    file=where.file if where is not None else layer.file,
                    line=where.line if where is not None else None,
                    path=format_path(change.path),
                )
            )
    return problems


def _lock_origin(merged: _Merge, rule_id: str) -> str:
    """Where the parent locked a rule, as file:line."""
    path = ("rules", rule_id, "locked")
    origin = merged.overridden.get(path, (None, None))[0] or merged.provenance.get(path)
    return f"{origin.file}:{origin.line}" if origin is not None else "the parent"


def _show(value: Any) -> str:
    return "none" if value is None else str(value)


def _apply_removals(merged: _Merge, layer: _Layer, locked: Mapping[str, Any]) -> list[Problem]:
    remove = layer.document.get("remove")
    if not remove:
        return []
    problems = []
    for section in ("rules", "indicators"):
        existing = merged.document.get(section, {})
        for index, name in enumerate(remove.get(section, [])):
            if name not in existing:
                problems.append(
                    Problem(
                        f"removes {section[:-1]} {name!r}, which the parent standard does not have",
                        file=layer.file,
                        line=line_of(layer.document, ("remove", section, index)),
                        path=f"remove.{section}",
                        suggestion=did_you_mean(name, existing),
                    )
                )
                continue
            path = (section, name)
            if section == "rules" and name in locked:
                problems.append(
                    Problem(
                        f"removes locked rule {name!r} (locked in {_lock_origin(merged, name)})",
                        file=layer.file,
                        line=line_of(layer.document, ("remove", section, index)),
                        path=f"remove.{section}",
                    )
                )
                continue
            merged.overridden[path] = (merged.provenance[path], existing.pop(name))
            _drop_provenance(merged, path)
    return problems


def _drop_provenance(merged: _Merge, path: tuple[str, ...]) -> None:
    for key in [k for k in merged.provenance if k[: len(path)] == path]:
        del merged.provenance[key]


def _replace(
    merged: _Merge,
    target: dict[str, Any],
    key: str,
    value: Any,
    path: tuple[str, ...],
    origin: Any,
) -> None:
    if key in target:
        previous = merged.provenance.get(path)
        if previous is not None and target[key] != value:
            merged.overridden[path] = (previous, _plain(target[key]))
        _drop_provenance(merged, path)
    target[key] = _plain(value)
    _record(merged, value, path, origin)


def _merge_value(
    merged: _Merge,
    target: dict[str, Any],
    key: str,
    value: Any,
    path: tuple[str, ...],
    origin: Any,
) -> None:
    current = target.get(key)
    if isinstance(value, dict) and isinstance(current, dict):
        for sub_key, sub_value in value.items():
            _merge_value(merged, current, str(sub_key), sub_value, (*path, str(sub_key)), origin)
    else:
        _replace(merged, target, key, value, path, origin)


def _record(merged: _Merge, value: Any, path: tuple[str, ...], origin: Any) -> None:
    merged.provenance[path] = origin(path)
    if isinstance(value, dict):
        for key, sub in value.items():
            _record(merged, sub, (*path, str(key)), origin)


def _plain(value: Any) -> Any:
    """Copy a LineMap/LineList tree into plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _finish(merged: _Merge) -> Standard:
    # A single file was already checked against the full schema by _checked_layer.
    layered = len(merged.layers) > 1
    problems = schema_problems(merged.document, merged.locate) if layered else []
    if not problems:
        problems = merged.lock_problems
    if not problems:
        problems = list(checks.semantic_problems(merged.document, merged.locate))
    if problems:
        top_file = merged.locate(())[0]
        raise StandardError(problems, f"{top_file}: {len(problems)} problem(s) in the standard")
    return build_standard(
        merged.document,
        layers=tuple(merged.layers),
        provenance=merged.provenance,
        overridden=merged.overridden,
        digest=digest(merged.document),
    )


def digest(document: Mapping[str, Any]) -> str:
    """``sha256:`` hash of the resolved standard's canonical JSON form."""
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_standard(name: str | Path, *, root: Path | str | None = None) -> Standard:
    """Load a bundled standard by id (``national/quality-2017``) or a YAML file path.

    Follows ``extends`` to the root, merges every layer and checks the result.
    Raises :class:`StandardError` listing every problem, or
    :class:`UnknownStandardError` when *name* is neither an id nor a file.

    *root*, when given, confines every file read to that folder (bundled ids
    excepted): *name* and each ``extends:`` must lie inside it, and an
    ``extends:`` may not be an absolute path (see :mod:`balance_rules.paths`).
    A service evaluating uploaded standards should always set it.
    """
    try:
        path = _locate_file(str(name), None, root)
    except OutsideRootError as exc:
        raise StandardError(
            [Problem(str(exc), file=str(name), message_zh=exc.message_zh)],
            f"{name}: outside the allowed folder",
            f"{name}：不在允许的文件夹之内",
        ) from None
    first = _read_layer(None, str(path))
    return _finish(_merge_chain(first, path.parent, root))


def standard_from_mapping(
    document: Mapping[str, Any],
    *,
    name: str = "<mapping>",
    base: Path | None = None,
    root: Path | str | None = None,
) -> Standard:
    """Build a standard from an in-memory mapping (as if read from a file named *name*).

    ``extends`` may name a bundled id, or a path relative to *base* (or to *root*);
    with a *root*, confined to it as in :func:`load_standard`.
    """
    first = _checked_layer(_as_linemap(document), name)
    return _finish(_merge_chain(first, base, root))


def standard_from_text(
    text: str,
    *,
    name: str = "<string>",
    base: Path | None = None,
    root: Path | str | None = None,
) -> Standard:
    """Build a standard from YAML text (``extends`` as in :func:`standard_from_mapping`)."""
    first = _read_layer(text, name)
    return _finish(_merge_chain(first, base, root))


def validate_standard(
    names: str | Path | Standard | Iterable[str | Path | Standard],
    *,
    root: Path | str | None = None,
) -> dict[str, list[Problem]]:
    """Check each file or id; map each to its problems (an empty list when valid).

    *names* is one path, id or :class:`Standard`, or a list of them.  A Standard
    is already built and checked: it maps to an empty list under its id.  *root*
    confines the files read, as in :func:`load_standard`.
    """
    if isinstance(names, str | Path | Standard):
        names = [names]
    elif isinstance(names, bytes | Mapping) or not isinstance(names, Iterable):
        raise TypeError(
            "validate_standard(names): expected a path, a standard id, a Standard or a list"
            f" of them, not {type(names).__name__}"
        )
    results: dict[str, list[Problem]] = {}
    for name in names:
        if isinstance(name, Standard):
            results[name.id] = []
            continue
        if not isinstance(name, str | Path):
            raise TypeError(
                "validate_standard(names): each item must be a path, a standard id or a"
                f" Standard, not {type(name).__name__}"
            )
        try:
            load_standard(name, root=root)
        except StandardError as exc:
            results[str(name)] = list(exc.problems)
        except UnknownStandardError as exc:
            results[str(name)] = [Problem(str(exc), file=str(name), suggestion=None)]
        else:
            results[str(name)] = []
    return results

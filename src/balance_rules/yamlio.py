"""Safe YAML reading that keeps exact decimals and the line of every key.

Built on ``yaml.SafeLoader`` (no Python objects, no code).  Differences from
``yaml.safe_load``:

* floats become :class:`decimal.Decimal` parsed from the file's text, so ``4.2``
  is exactly 4.2;
* dates stay strings (``2017-04-19``), as JSON Schema expects;
* mappings are :class:`LineMap` and lists :class:`LineList`, which remember the
  line each key or item starts on;
* a key repeated in one mapping is reported, not silently overwritten.
"""

from __future__ import annotations

from collections.abc import Hashable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem

__all__ = ["LineList", "LineMap", "YamlReadError", "line_of", "read_yaml", "read_yaml_text"]


class LineMap(dict[Any, Any]):
    """A dict that remembers the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}


class LineList(list[Any]):
    """A list that remembers the 1-based line of itself and of each item."""

    line: int = 0
    item_lines: list[int]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_lines = []


class YamlReadError(Exception):
    """Raised with the problems found while reading one YAML document."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# libyaml's parser when PyYAML was built with it: the same safe constructors, faster.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self.file = file
        self.duplicates: list[Problem] = []


def _construct_decimal(loader: _Loader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")
    lowered = text.lower()
    if lowered in (".inf", "+.inf"):
        return Decimal("Infinity")
    if lowered == "-.inf":
        return Decimal("-Infinity")
    if lowered == ".nan":
        return Decimal("NaN")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the resolver only sends numbers
        raise yaml.constructor.ConstructorError(
            None, None, f"not a number: {text!r}", node.start_mark
        ) from None


def _construct_string(loader: _Loader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    result = LineMap()
    result.line = node.start_mark.line + 1
    # Keys written in this mapping; keys brought in by a `<<:` merge may be overridden.
    explicit = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            )
        line = key_node.start_mark.line + 1
        if id(key_node) in explicit and key in seen:
            loader.duplicates.append(
                Problem(
                    f"key {key!r} appears twice in one mapping (first on line "
                    f"{result.key_lines[key]})",
                    file=loader.file,
                    line=line,
                )
            )
        if id(key_node) in explicit:
            seen.add(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_list(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList()
    result.line = node.start_mark.line + 1
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.item_lines.append(item.start_mark.line + 1)
    return result


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_string)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_list)


def read_yaml_text(text: str, file: str = "<string>") -> Any:
    """Parse one YAML document safely; raise :class:`YamlReadError` on any problem."""
    loader = _Loader(text, file)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise YamlReadError([Problem(f"not valid YAML: {message}", file=file, line=line)]) from None
    except yaml.YAMLError as exc:
        raise YamlReadError([Problem(f"not valid YAML: {exc}", file=file)]) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise YamlReadError(loader.duplicates)
    return data


def read_yaml(path: Path) -> Any:
    """Read a YAML file (UTF-8, BOM allowed) with :func:`read_yaml_text`."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlReadError(
            [Problem(f"not UTF-8 text (byte {exc.start})", file=str(path))]
        ) from None
    return read_yaml_text(text, str(path))


def line_of(document: Any, path: tuple[Any, ...]) -> int | None:
    """The line of the deepest node on *path* that the document knows, or None."""
    node = document
    line: int | None = getattr(node, "line", None)
    for key in path:
        if isinstance(node, LineMap) and key in node:
            line = node.key_lines.get(key, line)
            node = node[key]
        elif isinstance(node, LineList) and isinstance(key, int) and 0 <= key < len(node):
            line = node.item_lines[key]
            node = node[key]
        else:
            break
    return line

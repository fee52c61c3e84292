"""Safe YAML reading that keeps exact decimals and the line of every key.

Built on ``yaml.SafeLoader`` (no Python objects, no code).  Differences from
``yaml.safe_load``:

* floats become :class:`decimal.Decimal` parsed from the file's text, so ``4.2``
  is exactly 4.2;
* dates stay strings (``2017-04-19``), as JSON Schema expects;
* mappings are :class:`LineMap` and lists :class:`LineList`, which remember the
  line each key or item starts on;
* a key repeated in one mapping is reported, not silently overwritten;
* resources are bounded (:class:`YamlLimits`): a file larger than ``max_bytes``,
  nested deeper than ``max_depth`` or with more than ``max_nodes`` values once
  every alias is expanded (an "alias bomb"; aliases to a collection containing
  them too) is refused before any value is built, so a hostile file costs well
  under a second and a few megabytes;
* NaN, infinities and number tokens longer than 40 characters are refused with
  their line (``balance_rules.numbers`` checks magnitude and precision).

The limits can be raised per call (``limits=YamlLimits(...)``) or for a whole
process with the environment variables ``BALANCE_RULES_YAML_MAX_BYTES``,
``BALANCE_RULES_YAML_MAX_NODES`` and ``BALANCE_RULES_YAML_MAX_DEPTH``.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs
import yaml

from .errors import Problem

__all__ = [
    "LineList",
    "LineMap",
    "YamlLimits",
    "YamlReadError",
    "line_of",
    "read_json",
    "read_yaml",
    "read_yaml_text",
]

#: Longest number token accepted (digits, sign, point, exponent).
MAX_NUMBER_CHARS = 40


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip().replace("_", "")
    return int(text) if text.isdigit() else default


@attrs.frozen
class YamlLimits:
    """How much one YAML document may cost; see the module docstring.

    ``YamlLimits()`` gives the defaults, changed by the ``BALANCE_RULES_YAML_MAX_*``
    environment variables; pass explicit values to override both.
    """

    #: Size of the file or text, in bytes.
    max_bytes: int = attrs.field(
        factory=lambda: _env_int("BALANCE_RULES_YAML_MAX_BYTES", 16 * 1024 * 1024)
    )
    #: Values (scalars, mappings, lists) with every alias expanded (or the number of
    #: characters of the text, if larger: an alias-free document is never refused).
    max_nodes: int = attrs.field(
        factory=lambda: _env_int("BALANCE_RULES_YAML_MAX_NODES", 1_000_000)
    )
    #: Nesting of mappings and lists, aliases expanded.
    max_depth: int = attrs.field(factory=lambda: _env_int("BALANCE_RULES_YAML_MAX_DEPTH", 100))


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


class _NumberError(yaml.constructor.ConstructorError):
    """A number token refused (NaN, an infinity, too long), with its Chinese."""

    def __init__(self, node: yaml.ScalarNode, message: str, message_zh: str) -> None:
        super().__init__(None, None, message, node.start_mark)
        self.message_zh = message_zh


def _refuse_number(node: yaml.ScalarNode, message: str, message_zh: str) -> _NumberError:
    return _NumberError(node, message, message_zh)


def _too_long(node: yaml.ScalarNode, text: str) -> _NumberError:
    return _refuse_number(
        node,
        f"a number of {len(text)} characters is out of range",
        f"数字长达 {len(text)} 个字符，超出范围",
    )


def _construct_decimal(loader: _Loader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")
    lowered = text.lower()
    if lowered in (".inf", "+.inf", "-.inf", ".nan"):
        raise _refuse_number(
            node,
            f"{text} (NaN or an infinity) is not allowed: write a finite number",
            f"不允许 {text}（非数或无穷大）：请写有限的数",
        )
    if len(text) > MAX_NUMBER_CHARS:
        raise _too_long(node, text)
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the resolver only sends numbers
        raise yaml.constructor.ConstructorError(
            None, None, f"not a number: {text!r}", node.start_mark
        ) from None


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if len(text) > MAX_NUMBER_CHARS:
        raise _too_long(node, text)
    value: int = yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    return value


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
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_string)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_list)


class _TooMuch(Exception):
    def __init__(self, node: Any, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.node = node
        self.message_zh = message_zh


def _check_limits(root: Any, text: str, limits: YamlLimits) -> None:
    """Measure the composed node graph as if every alias were expanded.

    Aliases share one node, so an alias bomb composes into a few hundred nodes;
    this walk visits each distinct node once (iteratively, so deep nesting
    cannot exhaust the stack) and refuses the document before anything is
    constructed from it.  An alias-free document is never refused for its
    number of values (it holds no more than its text; ``max_bytes`` bounds it).
    """
    hint = "(the limits are in docs/guarantees.md; BALANCE_RULES_YAML_MAX_* raise them)"
    hint_zh = "（限制见 docs/guarantees.md；可用 BALANCE_RULES_YAML_MAX_* 调高）"
    max_nodes = max(limits.max_nodes, len(text))
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values expanded, height)
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        key = id(node)
        if key in measured:
            continue
        if isinstance(node, yaml.ScalarNode):
            measured[key] = (1, 0)
            continue
        children = (
            node.value
            if isinstance(node, yaml.SequenceNode)
            else [child for pair in node.value for child in pair]
        )
        if not closing:
            open_nodes.add(key)
            stack.append((node, True))
            for child in children:
                if id(child) in open_nodes:
                    raise _TooMuch(
                        child,
                        "an alias refers to a collection that contains it",
                        "别名引用了包含它自身的集合",
                    )
                if id(child) not in measured:
                    stack.append((child, False))
            continue
        open_nodes.discard(key)
        size, height = 1, 0
        for child in children:
            child_size, child_height = measured[id(child)]
            size += child_size
            height = max(height, child_height)
        height += 1
        if height > limits.max_depth:
            raise _TooMuch(
                node,
                f"nested more than {limits.max_depth} levels deep {hint}",
                f"嵌套超过 {limits.max_depth} 层{hint_zh}",
            )
        if size > max_nodes:
            raise _TooMuch(
                node,
                f"more than {max_nodes:,} values once aliases are expanded (an alias bomb?) {hint}",
                f"展开别名后超过 {max_nodes:,} 个值（别名炸弹？）{hint_zh}",
            )
        measured[key] = (size, height)


def read_yaml_text(text: str, file: str = "<string>", *, limits: YamlLimits | None = None) -> Any:
    """Parse one YAML document safely; raise :class:`YamlReadError` on any problem."""
    limits = limits or YamlLimits()
    if len(text) > limits.max_bytes:
        raise YamlReadError(
            [
                Problem(
                    f"larger than {limits.max_bytes:,} bytes; refused unread",
                    file=file,
                    message_zh=f"大于 {limits.max_bytes:,} 字节，未读取即拒绝",
                )
            ]
        )
    loader = _Loader(text, file)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_limits(node, text, limits)
        data = loader.construct_document(node)
    except _TooMuch as exc:
        line = exc.node.start_mark.line + 1
        raise YamlReadError(
            [Problem(str(exc), file=file, line=line, message_zh=exc.message_zh)]
        ) from None
    except _NumberError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise YamlReadError(
            [Problem(str(exc.problem), file=file, line=line, message_zh=exc.message_zh)]
        ) from None
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


def read_yaml(path: Path, *, limits: YamlLimits | None = None) -> Any:
    """Read a YAML file (UTF-8, BOM allowed) with :func:`read_yaml_text`."""
    limits = limits or YamlLimits()
    with path.open("rb") as handle:  # a FIFO or /dev/zero is bounded too
        data = handle.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise YamlReadError(
            [
                Problem(
                    f"larger than {limits.max_bytes:,} bytes; refused unread",
                    file=str(path),
                    message_zh=f"大于 {limits.max_bytes:,} 字节，未读取即拒绝",
                )
            ]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlReadError(
            [Problem(f"not UTF-8 text (byte {exc.start})", file=str(path))]
        ) from None
    return read_yaml_text(text, str(path), limits=limits)


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed: write a finite number")


def _json_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} characters is out of range")
    return int(text)


def _json_decimal(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} characters is out of range")
    return Decimal(text)


def read_json(path: Path, *, limits: YamlLimits | None = None) -> Any:
    """Read a JSON file with the same bounds as YAML: size and finite numbers.

    (Nesting too deep for the parser is refused by it, as a RecursionError.)

    Floats are exact :class:`~decimal.Decimal`; NaN and infinities are refused.
    """
    import json

    limits = limits or YamlLimits()
    file = str(path)
    with path.open("rb") as handle:
        data = handle.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise YamlReadError(
            [
                Problem(
                    f"larger than {limits.max_bytes:,} bytes; refused unread",
                    file=file,
                    message_zh=f"大于 {limits.max_bytes:,} 字节，未读取即拒绝",
                )
            ]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlReadError([Problem(f"not UTF-8 text (byte {exc.start})", file=file)]) from None
    try:
        return json.loads(
            text, parse_float=_json_decimal, parse_int=_json_int, parse_constant=_json_constant
        )
    except json.JSONDecodeError as exc:
        raise YamlReadError(
            [Problem(f"not valid JSON: {exc.msg}", file=file, line=exc.lineno)]
        ) from None
    except (ValueError, RecursionError) as exc:
        raise YamlReadError([Problem(f"not valid JSON: {exc}", file=file)]) from None


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

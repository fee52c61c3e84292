"""Chinese for the English messages of balance-rules' errors and warnings.

The command speaks Chinese by default (``--lang en`` for English).  A
:class:`~balance_rules.errors.Problem` may carry its own ``message_zh``; when it
does not, :func:`to_chinese` translates the message through this catalogue of
phrasings (regular expressions over the English text, with the quoted names and
numbers carried over).  A message no pattern knows is shown in English, never
lost.  Pure data and one function; no file access.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["CATALOGUE", "to_chinese"]

_Q = r"(?P<{0}>'[^']*'|\"[^\"]*\"|\S+)"


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + pattern + "$", re.DOTALL)


#: (English pattern, Chinese template).  Templates use the pattern's named groups.
CATALOGUE: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    # a located prefix, then the message itself
    (_p(r"county (?P<c>.+?): unknown fact (?P<k>.+)"), "县 {c}：未知的县级指标 {k}"),
    (_p(r"county (?P<c>.+?): (?P<m>.+)"), "县 {c}：{m!zh}"),
    (_p(r"school (?P<s>.+?): (?P<m>.+)"), "学校 {s}：{m!zh}"),
    # files
    (_p(r"no such file"), "文件不存在"),
    (_p(r"(?P<f>.+): cannot read the standard"), "{f}：无法读取标准文件"),
    (_p(r"(?P<f>.+): not a standard file"), "{f}：不是标准文件"),
    (
        _p(r"a standard file must be a mapping of keys \(id, title, rules, \.\.\.\)"),
        "标准文件必须是键的映射（id、title、rules 等）",
    ),
    (_p(r"(?P<f>.+): (?P<n>\d+) problem\(s\) in the standard"), "{f}：标准中有 {n} 个问题"),
    (_p(r"(?P<f>.+): (?P<n>\d+) problem\(s\) in the school table"), "{f}：学校表中有 {n} 个问题"),
    (_p(r"(?P<f>.+): (?P<n>\d+) problem\(s\) in the county facts"), "{f}：县级指标中有 {n} 个问题"),
    (
        _p(r"(?P<f>.+): (?P<n>\d+) problem\(s\) in the header mapping"),
        "{f}：表头映射中有 {n} 个问题",
    ),
    (_p(r"(?P<f>.+): (?P<n>\d+) problem\(s\) in the mapping"), "{f}：映射文件中有 {n} 个问题"),
    (_p(r"(?P<f>.+): the columns cannot be read"), "{f}：无法识别各列"),
    (_p(r"(?P<f>.+): missing parent standard"), "{f}：找不到上级标准"),
    (_p(r"(?P<f>.+): cyclic extends"), "{f}：extends 形成循环"),
    (_p(r"(?P<f>.+): parent version mismatch"), "{f}：上级标准版本不符"),
    (_p(r"(?P<f>.+): cannot apply the layer"), "{f}：无法应用本层标准"),
    (
        _p(r"extends (?P<n>.+), which is neither a bundled standard nor a file"),
        "extends 的 {n} 既不是内置标准也不是文件",
    ),
    (_p(r"extends chain is a cycle: (?P<n>.+)"), "extends 链形成循环：{n}"),
    (
        _p(r"changes (?P<s>\w+) (?P<k>.+), which the parent standard does not have(?P<r>.*)"),
        "修改了上级标准中没有的 {s} {k}{r}",
    ),
    (
        _p(r"removes (?P<s>\w+) (?P<k>.+), which the parent standard does not have"),
        "删除了上级标准中没有的 {s} {k}",
    ),
    (
        _p(r"removes locked rule (?P<k>\S+) \(locked in (?P<w>.+)\)"),
        "删除了锁定的规则 {k}（锁定于 {w}）",
    ),
    (
        _p(
            r"(?P<d>\w+) locked rule (?P<k>\S+): (?P<rest>.+); locked in (?P<w>.+), "
            r"children may only tighten it"
        ),
        "{d} 锁定的规则 {k}：{rest}；锁定于 {w}，下级标准只能收紧",
    ),
    # costs files (shortfall planning)
    (_p(r"costs file not found"), "找不到成本文件"),
    (
        _p(r"no cost for (?P<k>\S+), which this plan needs"),
        "成本文件没有 {k} 的单价，而本计划需要它",
    ),
    (_p(r"the costs file misses a resource the plan adds"), "成本文件缺少计划所增加的资源"),
    (_p(r"(?P<f>.+): cannot read costs file"), "{f}：无法读取成本文件"),
    (_p(r"(?P<f>.+): invalid costs file"), "{f}：成本文件无效"),
    (_p(r"a cost cannot be negative \(got (?P<v>.+)\)"), "成本不能为负数（实际为 {v}）"),
    (_p(r"a cost must be a number of 元, got (?P<v>.+)"), "成本必须是以元计的数字，实际为 {v}"),
    # YAML
    (_p(r"not valid YAML: (?P<m>.+)"), "不是有效的 YAML：{m}"),
    # monitoring: years, facts, renamed schools
    (
        _p(
            r"which year is this\? Put the year in the file name \((?P<e>[^)]+)\), "
            r"add a year column \(年份\), or give --year"
        ),
        "无法确定年份：请把年份写进文件名（{e}）、加一列年份（年份），或用 --year 指定",
    ),
    (_p(r"year (?P<v>.+) is not a year \(write it as 2023\)"), "年份 {v} 不是年份（请写成 2023）"),
    (_p(r"no year"), "没有年份"),
    (
        _p(
            r"(?P<n>\d+) --year value\(s\) for (?P<m>\d+) data file\(s\): "
            r"give one year per file, in the same order"
        ),
        "给了 {n} 个 --year，但有 {m} 个数据文件：请按同样的顺序为每个文件给一个年份",
    ),
    (
        _p(r"two files claim the year (?P<y>\d+): (?P<a>.+) and (?P<b>.+); give each year once"),
        "两个文件都是 {y} 年：{a} 和 {b}；每个年份只能给一次",
    ),
    (
        _p(r"facts for county (?P<c>.+) \((?P<y>\d+)\), which has no schools in any year"),
        "县 {c}（{y} 年）有县级指标，但任何年份都没有该县的学校",
    ),
    (
        _p(
            r"two facts files without a year in the name \((?P<a>.+) and (?P<b>.+)\); "
            r"name them by year \((?P<e>[^)]+)\)"
        ),
        "两个县级指标文件的文件名都没有年份（{a} 和 {b}）；请按年份命名（{e}）",
    ),
    (
        _p(r"facts for (?P<y>\d+), a year without school data"),
        "{y} 年有县级指标，但没有该年的学校数据",
    ),
    (_p(r"two facts files for (?P<y>\d+)"), "{y} 年有两个县级指标文件"),
    (_p(r"(?P<o>.+) is renamed twice \((?P<a>.+), (?P<b>.+)\)"), "{o} 被改名两次（{a}、{b}）"),
    (_p(r"no new_id \(新学校标识码\) column"), "没有 new_id（新学校标识码）列"),
    (_p(r"old or new id is blank"), "原标识码或新标识码为空"),
    (_p(r"--standard-for gives (?P<y>\d+) twice"), "--standard-for 两次给出 {y} 年"),
    (
        _p(r"no years to monitor: give at least one year of data"),
        "没有可监测的年份：请至少给出一年的数据",
    ),
    (_p(r"no years to monitor"), "没有可监测的年份"),
    (_p(r"no rows to monitor"), "没有可监测的行"),
    (_p(r"no standard for year\(s\) (?P<y>.+)"), "以下年份没有标准：{y}"),
    (_p(r"the DataFrame has no 'year' column"), "DataFrame 没有 'year' 列"),
    (_p(r"two frames for the year (?P<y>\d+)"), "{y} 年有两个 DataFrame"),
    (
        _p(r"county (?P<c>'[^']*') \((?P<y>\d+)\) was cut between partitions"),
        "县 {c}（{y} 年）被分到了不同的分区",
    ),
    (
        _p(r"county (?P<c>'[^']*') \((?P<y>\d+)\) is in two partitions"),
        "县 {c}（{y} 年）出现在两个分区中",
    ),
    # output files
    (
        _p(r"this format needs --output FILE \(it is not text\)"),
        "此格式需要 --output 文件（它不是文本）",
    ),
    (
        _p(r"--format (?P<f>\w+) needs --output (?P<o>\S+) \(it is not text\)"),
        "--format {f} 需要 --output {o}（它不是文本）",
    ),
    (_p(r"(?P<o>\S+) names a folder, not a file"), "{o} 指向文件夹而不是文件"),
    (_p(r"cannot write here: (?P<m>.+)"), "无法写入此处：{m}"),
    (
        _p(r"no case files \(NAME\.cases\.yaml\) for (?P<t>.+)"),
        "没有 {t} 的用例文件（NAME.cases.yaml）",
    ),
    # schema
    (_p(r"unknown key (?P<k>.+); allowed here: (?P<a>.+)"), "未知的键 {k}；此处允许：{a}"),
    (
        _p(r"unknown key (?P<k>.+); expected one of (?P<a>.+)"),
        "未知的键 {k}；应为以下之一：{a}",
    ),
    (_p(r"unknown key (?P<k>.+)"), "未知的键 {k}"),
    (_p(r"(?P<v>.+) is not one of: (?P<a>.+)"), "{v} 不是以下之一：{a}"),
    (_p(r"(?P<v>.+) is a required property"), "缺少必填项 {v}"),
    (_p(r"(?P<v>'[^']*') is required"), "缺少必填项 {v}"),
    (_p(r"(?P<v>'[^']*') is missing"), "缺少必填项 {v}"),
    (_p(r"(?P<v>.+) was expected"), "应为 {v}"),
    (_p(r"is a required property"), "缺少必填项"),
    (_p(r"must be (?P<v>.+), got (?P<g>.+)"), "必须是 {v}，实际为 {g}"),
    (
        _p(r"(?P<v>.+) is not a valid name here \(lower-case letters, digits, _\)"),
        "{v} 在此处不是有效名称（小写字母、数字、下划线）",
    ),
    (_p(r"(?P<v>.+) is not a valid value here"), "{v} 在此处不是有效值"),
    (_p(r"expected (?P<e>.+?), got (?P<g>.+)"), "应为 {e}，实际为 {g}"),
    # checks
    (
        _p(r"unknown split item (?P<k>.+): not a facility column or a declared field"),
        "未知的拆分项 {k}：不是设施列，也不是已声明的字段",
    ),
    (
        _p(r"unknown field (?P<k>.+) \(declare extra columns under `fields:`\)"),
        "未知字段 {k}（请在 `fields:` 下声明额外的列）",
    ),
    (_p(r"a standard needs at least one rule"), "标准至少需要一条规则"),
    (_p(r"rule (?P<r>\S+) is in unknown group (?P<g>.+)"), "规则 {r} 属于未知的分组 {g}"),
    (
        _p(r"level (?P<l>\S+) is not one of the standard's levels \((?P<a>.+)\)"),
        "学段 {l} 不在标准的学段之中（{a}）",
    ),
    (_p(r"unknown rule (?P<r>.+)"), "未知的规则 {r}"),
    (_p(r"k of n counts school_threshold rules only"), "k of n 只统计 school_threshold 规则"),
    (
        _p(r"min_met is (?P<m>\S+) but only (?P<n>\d+) rules are listed"),
        "min_met 为 {m}，但只列出了 {n} 条规则",
    ),
    (
        _p(r"no cap for level (?P<l>\S+) \(give max\.(?P<l2>\w+)\)"),
        "学段 {l} 没有上限（请给出 max.{l2}）",
    ),
    (_p(r"rounding without a max has no effect"), "没有 max 时 rounding 不起作用"),
    (_p(r"unknown indicator (?P<k>.+)"), "未知的指标 {k}"),
    (
        _p(r"no threshold for level (?P<l>\S+) \(give threshold\.(?P<l2>\w+)\)"),
        "学段 {l} 没有达标值（请给出 threshold.{l2}）",
    ),
    (
        _p(r"a threshold that varies by school attribute needs `by:` .*"),
        "按学校属性变化的达标值需要 `by:`（location、school_type、ownership、authority 或 size）",
    ),
    (_p(r"a threshold by size needs a 'default' case"), "按规模分档的达标值需要 'default' 档"),
    (
        _p(r"no threshold for (?P<b>\w+) (?P<m>.+): add those cases or a 'default'"),
        "{b} 为 {m} 时没有达标值：请补上这些情况或 'default'",
    ),
    (
        _p(r"unknown county fact (?P<k>.+) \(declare new facts under `fields:`\)"),
        "未知的县级指标 {k}（请在 `fields:` 下声明新的指标）",
    ),
    (_p(r"fact (?P<k>\S+) is yes/no: use true or false"), "指标 {k} 是“是/否”：请用 true 或 false"),
    (_p(r"fact (?P<k>\S+) is a number: compare it with one"), "指标 {k} 是数值：请与数值比较"),
    (_p(r"unknown field (?P<k>.+)"), "未知字段 {k}"),
    # data
    (_p(r"(?P<v>.+) is not a number"), "{v} 不是数字"),
    (_p(r"(?P<v>.+) is negative"), "{v} 是负数"),
    (_p(r"(?P<v>.+) is not a whole number \(a count\)"), "{v} 不是整数（这是计数）"),
    (_p(r"school id is blank"), "学校标识码为空"),
    (_p(r"expected a mapping of county -> facts"), "应为“县 -> 指标”的映射"),
    (_p(r"counties: expected a mapping of county -> facts"), "counties：应为“县 -> 指标”的映射"),
    (_p(r"expected a mapping of facts"), "应为指标的映射"),
    (
        _p(r"rates must be 'percent' or 'fraction', got (?P<v>.+)"),
        "rates 必须是 'percent' 或 'fraction'，实际为 {v}",
    ),
    (_p(r"(?P<n>\w+) must be a number, got (?P<v>.+)"), "{n} 应为数值，实际为 {v}"),
    (_p(r"school id (?P<i>.+) repeats row (?P<r>\d+)"), "学校标识码 {i} 与第 {r} 行重复"),
    (_p(r"school id (?P<i>.+) repeats record (?P<r>\d+)"), "学校标识码 {i} 与第 {r} 条记录重复"),
    # the school-table validator (data/validate.py; it also gives message_zh itself)
    (_p(r"school id (?P<i>.+) repeats"), "学校标识码 {i} 重复"),
    (_p(r"(?P<n>\w+) is negative \((?P<v>[^()]+)\)"), "{n} 是负数（{v}）"),
    (_p(r"(?P<n>\w+) is not a finite number \((?P<v>[^()]+)\)"), "{n} 不是有限数（{v}）"),
    (
        _p(r"(?P<n>\w+) is not a whole number \(a count\): (?P<v>\S+)"),
        "{n} 不是整数（这是计数）：{v}",
    ),
    (
        _p(
            r"unknown (?P<f>\w+) (?P<v>.+?); expected one of (?P<a>[^()]+?)(?: \(a code table.*\))?"
        ),
        "无法识别的 {f} 值 {v}；应为 {a} 之一",
    ),
    (
        _p(r"(?P<t>\w+) school (?P<s>\S+) has no (?P<l>\w+) student count \(combined .+\)"),
        "{t} 学校 {s} 没有 {l} 学段的在校生数（一贯制学校须分学段填报）",
    ),
    (_p(r"sub-site (?P<s>.+) is its own parent"), "分校区 {s} 的所属学校是它自己"),
    (_p(r"sub-sites name each other as parent: (?P<l>.+)"), "分校区互为所属学校：{l}"),
    (
        _p(r"(?P<s>\S+) is not counted as a school \(是否计校数 = 否\) but names no parent school"),
        "{s} 不计校数（是否计校数 = 否），但没有填写所属学校",
    ),
    (
        _p(r"a totals row \((?P<v>.+)\), not a school: leave it out"),
        "合计行（{v}），不是学校：请删去",
    ),
    (
        _p(r"parent school (?P<p>.+) of (?P<s>\S+) is not in the table"),
        "{s} 的上级学校 {p} 不在表中",
    ),
    (_p(r"totals row skipped"), "已跳过合计行"),
    (_p(r"text column ignored \(not a known field\)"), "已忽略文本列（不是已知字段）"),
    (_p(r"unrecognised column, kept as an extra field"), "未识别的列，作为额外字段保留"),
    (
        _p(r"no school id column \(school_id or 学校标识码\)"),
        "没有学校标识码列（school_id 或 学校标识码）",
    ),
    (
        _p(r"facts for county (?P<c>.+), which has no schools in (?P<f>.+)"),
        "县 {c} 有县级指标，但 {f} 中没有该县的学校",
    ),
    (
        _p(r"facts for county (?P<c>.+), which has no schools"),
        "县 {c} 有县级指标，但没有该县的学校",
    ),
    (
        _p(
            r"unknown standard (?P<n>.+): not a bundled id and not a file(?P<r>.*); "
            r"`balance-rules list` shows the bundled standards"
        ),
        "未知的标准 {n}：既不是内置标准也不是文件{r!zh}；`balance-rules list` 列出内置标准",
    ),
    (_p(r" \(did you mean (?P<s>.+)\?\)"), "（是否应为 {s}？）"),
)

_NESTED = re.compile(r"\{(\w+)!zh\}")
#: JSON Schema and Python type words inside a message.
_TYPE_WORDS = {
    "object": "映射",
    "array": "列表",
    "string": "文本",
    "number": "数字",
    "integer": "整数",
    "boolean": "是/否",
    "null": "空值",
    "a list": "列表",
    "a mapping": "映射",
    "object or array": "映射或列表",
}


def to_chinese(message: str) -> str:
    """The Chinese of *message* when the catalogue knows its phrasing, else *message*."""
    for pattern, template in CATALOGUE:
        match = pattern.match(message)
        if match is None:
            continue
        groups: dict[str, str | None] = match.groupdict()

        def nested(m: re.Match[str], g: dict[str, str | None] = groups) -> str:
            return to_chinese(g.get(m.group(1)) or "")

        text = _NESTED.sub(nested, template)
        try:
            return text.format(**{k: _TYPE_WORDS.get(v or "", v or "") for k, v in groups.items()})
        except (KeyError, IndexError, ValueError):
            return message
    return message

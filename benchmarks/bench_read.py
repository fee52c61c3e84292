"""Benchmark: read and validate a 3,000-school export workbook (target: under 2 s).

The workbook has the shape of an annual-statistics export (``domain/exports.md``):
a title row, a merged group row, a unit row, a row of column numbers, a 序号
column, a totals row and notes under the table, ~40 columns, codes for
城乡分类 and district code + name.  The timed step is what ``check-data`` does
before any evaluation: :func:`balance_rules.read_school_table` with a mapping
(derived sums), every cell parsed and checked.

    python benchmarks/bench_read.py [--schools 3000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

HEADER_TOP = [
    "序号", "学校(机构)标识码", "学校名称", "区县名称", "学校类型", "办学性质", "城乡分类",
    "小学在校生数", "初中在校生数", "小学班级数", "初中班级数",
    "专任教师", None, None, None, None,
    "体育", "音乐", "美术",
    "占地面积", "校舍建筑面积", "教学及辅助用房面积", "体育馆", "运动场地",
    "教学仪器设备资产值", "图书", "教学用计算机（台）", "网络多媒体教室（间）", "实验室个数",
    "音乐专用教室数", "美术专用教室数", "最小音乐教室面积", "最小美术教室面积",
    "县级以上骨干教师数", "中级及以上专业技术职务专任教师数", "持教师资格证专任教师数",
    "小学最大班额", "初中最大班额", "食堂面积", "备注",
]  # fmt: skip
HEADER_SUB = [None] * 11 + ["合计", "研究生", "本科", "专科", "高中及以下"] + [None] * 24
UNITS = (
    [None] * 7 + ["人", "人", "个", "个"] + ["人"] * 8 + ["平方米"] * 5 + ["万元", "万册"]
    + [None] * 7 + ["人"] * 3 + [None, None, "平方米", None]
)  # fmt: skip
MAPPING = """\
columns:
  专任教师/合计: teachers
derived:
  teachers_above_degree: {sum: [专任教师/研究生, 专任教师/本科, 专任教师/专科]}
  pe_art_teachers: {sum: [体育, 音乐, 美术]}
  sports_area: {sum: [体育馆, 运动场地]}
"""
TYPES = ["小学", "小学", "小学", "初级中学", "初级中学"]
PLACES = ["111", "112", "121", "122", "210", "220"]


def _row(i: int, rng: random.Random) -> list[Any]:
    kind = TYPES[i % len(TYPES)]
    primary = kind == "小学"
    students = rng.randint(80, 2500)
    teachers = max(5, students // 17)
    graduate = rng.randint(0, 3)
    bachelor = rng.randint(teachers // 3, teachers - graduate - 1)
    college = teachers - graduate - bachelor - 1
    return [
        i + 1, f"{21 if primary else 31}{i:08d}", f"学校{i}", f"1301{i % 13:02d} 区{i % 13}",
        kind, "民办" if i % 23 == 0 else "公办", PLACES[i % len(PLACES)],
        students if primary else None, None if primary else students,
        students // 45 + 1 if primary else None, None if primary else students // 50 + 1,
        teachers, graduate, bachelor, college, 1,
        rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 3),
        rng.randint(5000, 60000), rng.randint(2000, 20000), rng.randint(1000, 15000),
        rng.randint(0, 1500), rng.randint(2000, 30000),
        round(rng.uniform(20, 900), 2), round(rng.uniform(0.3, 8), 2),
        rng.randint(20, 300), rng.randint(5, 90), rng.randint(1, 12),
        rng.randint(1, 4), rng.randint(1, 4), rng.randint(60, 120), rng.randint(60, 120),
        rng.randint(0, 30), rng.randint(3, teachers), teachers,
        45 if primary else None, None if primary else 50, rng.randint(100, 2000), "",
    ]  # fmt: skip


def write_workbook(path: Path, schools: int, seed: int = 7) -> None:
    """The export workbook, written with xlsxwriter (fast, and merges as Excel writes them)."""
    import xlsxwriter

    rng = random.Random(seed)
    width = len(HEADER_TOP)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("学校基本情况")
    sheet.merge_range(0, 0, 0, width - 1, "2023年义务教育学校基本情况")
    for c, text in enumerate(HEADER_TOP):
        if 11 <= c <= 15:
            continue
        sheet.merge_range(1, c, 2, c, text)
    sheet.merge_range(1, 11, 1, 15, "专任教师")
    for c, text in enumerate(HEADER_SUB):
        if text:
            sheet.write(2, c, text)
    for c, text in enumerate(UNITS):
        if text:
            sheet.write(3, c, text)
    for c in range(width):
        sheet.write(4, c, "甲乙丙丁"[c] if c < 4 else str(c - 3))
    sheet.write(5, 2, "全县合计")
    for i in range(schools):
        for c, value in enumerate(_row(i, rng)):
            if value is not None and value != "":
                sheet.write(6 + i, c, value)
    sheet.write(6 + schools, 0, "注：数据截至2023年9月。")
    sheet.write(7 + schools, 0, "填表人：张三")
    book.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import balance_rules as br
    from balance_rules.data.mapping import load_mapping

    with tempfile.TemporaryDirectory() as folder:
        workbook = Path(folder) / "export.xlsx"
        mapping_file = Path(folder) / "mapping.yaml"
        mapping_file.write_text(MAPPING, encoding="utf-8")
        write_workbook(workbook, args.schools)
        times, cpu = [], []
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            table = br.read_school_table(workbook, mapping=load_mapping(mapping_file))
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert len(table.schools) == args.schools, len(table.schools)
    best = min(times)
    print(
        f"{args.schools} schools, {len(HEADER_TOP)} columns: read and validated in "
        f"{best:.2f} s (best of {args.repeat}; all: {', '.join(f'{t:.2f}' for t in times)}; "
        f"CPU {min(cpu):.2f} s)"
    )
    return 0 if best < 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

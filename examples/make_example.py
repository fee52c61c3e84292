"""Regenerate the invented example county (examples/example-county.csv).

The county 示例县 is invented: 34 rows — primary and junior schools, nine-year,
twelve-year and complete secondary schools, two teaching points, a private
school, a city-run school, a special-education school and a statistical
sub-site merged into its parent.  Headers are the Chinese ones of the annual
statistics export; equipment value is in 万元, as counties often report it.

    python examples/make_example.py
"""

from __future__ import annotations

import csv
import random
from decimal import Decimal
from pathlib import Path

HEADERS = [
    ("county", "县区"),
    ("school_id", "学校标识码"),
    ("school_name", "学校名称"),
    ("school_type", "学校类型"),
    ("ownership", "办别"),
    ("authority", "隶属"),
    ("location", "城乡分类"),
    ("parent_school_id", "所属学校标识码"),
    ("counted_as_school", "是否计校数"),
    ("primary_students", "小学在校生数"),
    ("junior_students", "初中在校生数"),
    ("senior_students", "高中在校生数"),
    ("primary_classes", "小学班级数"),
    ("junior_classes", "初中班级数"),
    ("primary_max_class_size", "小学最大班额"),
    ("junior_max_class_size", "初中最大班额"),
    ("primary_teachers", "小学专任教师数"),
    ("junior_teachers", "初中专任教师数"),
    ("primary_teachers_above_degree", "小学高于规定学历专任教师数"),
    ("junior_teachers_above_degree", "初中高于规定学历专任教师数"),
    ("primary_teachers_mid_title", "小学中级及以上专业技术职务专任教师数"),
    ("junior_teachers_mid_title", "初中中级及以上专业技术职务专任教师数"),
    ("primary_backbone_teachers", "小学县级及以上骨干教师数"),
    ("junior_backbone_teachers", "初中县级及以上骨干教师数"),
    ("primary_pe_art_teachers", "小学体育、艺术(音乐、美术)专任教师数"),
    ("junior_pe_art_teachers", "初中体育、艺术(音乐、美术)专任教师数"),
    ("primary_certified_teachers", "小学持教师资格证专任教师数"),
    ("junior_certified_teachers", "初中持教师资格证专任教师数"),
    ("site_area", "占地面积（平方米）"),
    ("building_area", "校舍建筑面积（平方米）"),
    ("teaching_aux_area", "教学及辅助用房面积（平方米）"),
    ("sports_area", "体育运动场馆面积（平方米）"),
    ("equipment_value", "教学仪器设备资产值（万元）"),
    ("computers", "教学用计算机台数"),
    ("books", "图书册数"),
    ("multimedia_rooms", "网络多媒体教室数"),
    ("labs", "实验室个数"),
    ("music_rooms", "音乐专用教室数"),
    ("art_rooms", "美术专用教室数"),
    ("min_music_room_area", "最小音乐教室面积"),
    ("min_art_room_area", "最小美术教室面积"),
    # Not a canonical column: kept as an extra field, used by the county's own layer
    # (examples/example-county-standard.yaml).
    ("canteen_area", "食堂面积（平方米）"),
]

TYPE_ZH = {
    "primary": "小学",
    "junior": "初级中学",
    "nine_year": "九年一贯制学校",
    "twelve_year": "十二年一贯制学校",
    "complete_secondary": "完全中学",
    "teaching_point": "小学教学点",
    "special": "特殊教育学校",
}
LOCATION_ZH = {"urban": "城区", "town": "镇区", "rural": "乡村"}

# Per-student targets (primary, junior) around which schools vary.
TARGETS = {
    "above": (5.6, 7.0),  # per 100
    "backbone": (1.6, 1.6),
    "pe_art": (1.25, 1.2),
    "teaching_aux_area": (5.6, 7.0),
    "sports_area": (10.0, 13.0),
    "equipment_value": (2700, 3300),
    "multimedia_rooms": (3.2, 3.2),  # per 100
}


def _spread(rng: random.Random, location: str) -> float:
    """How far above its target a school sits: urban schools are better equipped."""
    low, high = {"urban": (1.05, 1.9), "town": (1.0, 1.6), "rural": (0.97, 1.4)}[location]
    return rng.uniform(low, high)


def _school(rng, sid, name, school_type, location, students, *, weak=None, **extra):
    row = {
        "county": "示例县",
        "school_id": sid,
        "school_name": name,
        "school_type": TYPE_ZH[school_type],
        "ownership": "公办",
        "authority": "县级",
        "location": LOCATION_ZH[location],
        "parent_school_id": "",
        "counted_as_school": "是",
    }
    weights = {"primary": Decimal(1), "junior": Decimal("1.1"), "senior": Decimal("1.32")}
    if school_type == "complete_secondary":
        weights = {"junior": Decimal(1), "senior": Decimal("1.2")}
    weighted = sum(weights[lv] * n for lv, n in students.items())
    facility = {}
    for key in ("teaching_aux_area", "sports_area", "equipment_value", "multimedia_rooms"):
        # Per weighted student so that each section lands near its level's target.
        level_targets = [
            TARGETS[key][0 if lv == "primary" else 1] / float(weights[lv])
            for lv in students
            if lv != "senior"
        ]
        base = max(level_targets) * _spread(rng, location)
        if weak == key:
            base = max(level_targets) * 0.72  # about 90 % of the threshold
        total = base * float(weighted)
        facility[key] = total / 100 if key == "multimedia_rooms" else total
    row["teaching_aux_area"] = round(facility["teaching_aux_area"])
    row["sports_area"] = round(facility["sports_area"])
    row["equipment_value"] = f"{facility['equipment_value'] / 10000:.2f}"
    row["multimedia_rooms"] = max(1, round(facility["multimedia_rooms"] + 0.5))
    row["computers"] = round(float(weighted) * rng.uniform(0.11, 0.16))
    row["books"] = round(float(weighted) * rng.uniform(32, 48))
    row["site_area"] = round(float(weighted) * rng.uniform(22, 32))
    row["building_area"] = round(float(weighted) * rng.uniform(8, 11))
    row["labs"] = 2 + int(weighted) // 400
    compulsory = sum(n for lv, n in students.items() if lv != "senior")
    row["canteen_area"] = round(compulsory * (0.7 if location == "rural" else 1.1))
    classes_total = 0
    for level, n in students.items():
        row[f"{level}_students"] = n
        if level == "senior":
            continue
        size = 40 if level == "primary" else 45
        classes = max(1, -(-n // size))
        classes_total += classes
        row[f"{level}_classes"] = classes
        row[f"{level}_max_class_size"] = min(size + rng.randint(0, 4), -(-n // classes) + 3)
        t = 0 if level == "primary" else 1
        teachers = max(4, round(n / (17 if level == "primary" else 12.5)))
        row[f"{level}_teachers"] = teachers
        row[f"{level}_certified_teachers"] = teachers
        row[f"{level}_teachers_mid_title"] = round(teachers * rng.uniform(0.45, 0.65))
        for key, column in (
            ("above", "teachers_above_degree"),
            ("backbone", "backbone_teachers"),
            ("pe_art", "pe_art_teachers"),
        ):
            factor = 0.72 if weak == key else _spread(rng, location)
            row[f"{level}_{column}"] = min(teachers, -(-int(n * TARGETS[key][t] * factor) // 100))
    rooms = max(1, -(-classes_total // 12))
    row["music_rooms"] = rooms
    row["art_rooms"] = rooms
    row["min_music_room_area"] = rng.choice([96, 98, 100, 108])
    row["min_art_room_area"] = rng.choice([90, 92, 96, 100])
    row.update(extra)
    return row


def build() -> list[dict[str, object]]:
    rng = random.Random(20261123)
    rows = []
    primaries = [
        ("城关第一小学", "urban", 1850),
        ("城关第二小学", "urban", 1620),
        ("城关第三小学", "urban", 1380),
        ("实验小学", "urban", 1720),
        ("东关小学", "urban", 960),
        ("青石镇中心小学", "town", 880),
        ("柳河镇中心小学", "town", 760),
        ("白塔镇中心小学", "town", 690),
        ("北岭镇中心小学", "town", 540),
        ("南湾乡中心小学", "rural", 420),
        ("石门乡中心小学", "rural", 360),
        ("杏花村小学", "rural", 210),
        ("东坡村小学", "rural", 180),
        ("西沟村小学", "rural", 150),
        ("红旗村小学", "rural", 125),
        ("桃园村小学", "rural", 110),
    ]
    weak = {3: "sports_area", 9: "backbone", 13: "multimedia_rooms"}
    for i, (name, location, n) in enumerate(primaries, start=1):
        rows.append(
            _school(
                rng, f"21100{i:05d}", name, "primary", location, {"primary": n}, weak=weak.get(i)
            )
        )
    juniors = [
        ("城关第一中学", "urban", 1650),
        ("城关第二中学", "urban", 1420),
        ("青石镇中学", "town", 820),
        ("柳河镇中学", "town", 640),
        ("白塔镇中学", "town", 560),
        ("南湾乡中学", "rural", 380),
    ]
    for i, (name, location, n) in enumerate(juniors, start=1):
        rows.append(
            _school(
                rng,
                f"21200{i:05d}",
                name,
                "junior",
                location,
                {"junior": n},
                weak="equipment_value" if i == 4 else None,
            )
        )
    rows.append(
        _school(
            rng,
            "2130000001",
            "北岭九年一贯制学校",
            "nine_year",
            "town",
            {"primary": 620, "junior": 410},
        )
    )
    rows.append(
        _school(
            rng,
            "2130000002",
            "石门九年一贯制学校",
            "nine_year",
            "rural",
            {"primary": 300, "junior": 200},
        )
    )
    rows.append(
        _school(
            rng,
            "2130000003",
            "新城实验学校",
            "nine_year",
            "urban",
            {"primary": 1300, "junior": 900},
            weak="pe_art",
        )
    )
    rows.append(
        _school(
            rng,
            "2140000001",
            "县第二高级中学（完全中学）",
            "complete_secondary",
            "urban",
            {"junior": 980, "senior": 1500},
        )
    )
    rows.append(
        _school(
            rng,
            "2150000001",
            "育才十二年一贯制学校",
            "twelve_year",
            "urban",
            {"primary": 720, "junior": 480, "senior": 600},
        )
    )
    # A statistical sub-site of 东坡村小学, not counted as a school: merged into its parent.
    sub = _school(rng, "2110000099", "东坡村小学北校区", "primary", "rural", {"primary": 60})
    sub.update(counted_as_school="否", parent_school_id="2110000013")
    rows.append(sub)
    # Teaching points: out of scope nationally (Hebei keeps those with 50 or more students).
    for sid, name, n, parent in (
        ("2160000001", "西沟村上庄教学点", 38, "2110000014"),
        ("2160000002", "红旗村马岭教学点", 56, "2110000015"),
    ):
        tp = _school(rng, sid, name, "teaching_point", "rural", {"primary": n})
        tp["parent_school_id"] = parent
        rows.append(tp)
    private = _school(rng, "2170000001", "博文外国语学校", "primary", "urban", {"primary": 900})
    private["ownership"] = "民办"
    rows.append(private)
    city = _school(rng, "2180000001", "市实验中学分校", "junior", "urban", {"junior": 1100})
    city["authority"] = "地市级"
    rows.append(city)
    special = _school(rng, "2190000001", "县特殊教育学校", "primary", "urban", {"primary": 86})
    special["school_type"] = TYPE_ZH["special"]
    rows.append(special)
    return rows


# The workbook as a county exports it: a title row, a two-row header whose top
# cells span the per-level columns, equipment value in 万元 and a totals row.
XLSX_GROUPS = [
    ("在校生数", ["primary_students", "junior_students", "senior_students"]),
    ("班级数", ["primary_classes", "junior_classes"]),
    ("最大班额", ["primary_max_class_size", "junior_max_class_size"]),
    ("专任教师数", ["primary_teachers", "junior_teachers"]),
    ("高于规定学历专任教师数", ["primary_teachers_above_degree", "junior_teachers_above_degree"]),
    (
        "中级及以上专业技术职务专任教师数",
        ["primary_teachers_mid_title", "junior_teachers_mid_title"],
    ),
    ("县级及以上骨干教师数", ["primary_backbone_teachers", "junior_backbone_teachers"]),
    ("体育、艺术(音乐、美术)专任教师数", ["primary_pe_art_teachers", "junior_pe_art_teachers"]),
    ("持教师资格证专任教师数", ["primary_certified_teachers", "junior_certified_teachers"]),
]
LEVEL_ZH = {"primary": "小学", "junior": "初中", "senior": "高中"}


def _number(value: object) -> object:
    """Numbers as numbers in the workbook, as Excel would hold them."""
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value
    return value


def write_xlsx(rows: list[dict[str, object]], out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    grouped = {key for _, keys in XLSX_GROUPS for key in keys}
    first_group = {keys[0]: (title, keys) for title, keys in XLSX_GROUPS}
    columns: list[tuple[str, str, str]] = []  # key, top header, bottom header
    for key, zh in HEADERS:
        if key in first_group:
            title, keys = first_group[key]
            columns += [(k, title if i == 0 else "", LEVEL_ZH[k.split("_")[0]]) for i, k in enumerate(keys)]
        elif key not in grouped:
            columns.append((key, zh, ""))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "学校基本情况"
    sheet.append(["示例县 2025 年义务教育学校基本情况统计表（虚构数据）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet.append([top for _, top, _ in columns])
    sheet.append([bottom for _, _, bottom in columns])
    for index, (key, top, bottom) in enumerate(columns, start=1):
        if top and not bottom:
            sheet.merge_cells(start_row=2, start_column=index, end_row=3, end_column=index)
        elif top:
            span = next(len(keys) for title, keys in XLSX_GROUPS if title == top)
            sheet.merge_cells(start_row=2, start_column=index, end_row=2, end_column=index + span - 1)
    for row in rows:
        sheet.append([_number(row.get(key, "")) if row.get(key, "") != "" else None for key, _, _ in columns])
    totals: list[object] = []
    for key, _, _ in columns:
        if key == "school_name":
            totals.append("合计")
        elif key in ("primary_students", "junior_students", "senior_students"):
            totals.append(sum(int(r[key]) for r in rows if r.get(key) not in (None, "")))
        else:
            totals.append(None)
    sheet.append(totals)
    for cell in sheet[1] + sheet[2] + sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    workbook.save(out)


def main() -> None:
    out = Path(__file__).with_name("example-county.csv")
    rows = build()
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([zh for _, zh in HEADERS])
        for row in rows:
            writer.writerow(
                ["" if row.get(key) is None else row.get(key, "") for key, _ in HEADERS]
            )
    print(f"wrote {out} ({len(rows)} rows)")
    xlsx = Path(__file__).with_name("example-county.xlsx")
    write_xlsx(rows, xlsx)
    print(f"wrote {xlsx}")


if __name__ == "__main__":
    main()

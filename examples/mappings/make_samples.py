"""Write the sample exports beside their mappings (``python examples/mappings/make_samples.py``).

Each sample has the shape of a real county export (``shared/domain/exports.md``)
and evaluates with its mapping::

    balance-rules check-data examples/mappings/statistics-primary.xlsx \\
        --mapping examples/mappings/statistics-primary.yaml --standard national/quality-2017

The schools are invented.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: 小学基本情况: one per-level sheet of the annual statistics (教育事业统计).
PRIMARY_HEADER = [
    ["2023年小学基本情况"],
    [
        "序号",
        "学校(机构)标识码",
        "学校名称",
        "区县名称",
        "办学性质",
        "城乡分类",
        "在校生数",
        "班级数",
        "专任教师",
        None,
        None,
        None,
        None,
        None,
        "体育",
        "音乐",
        "美术",
        "教学及辅助用房面积",
        "体育馆",
        "运动场地",
        "教学仪器设备资产值",
        "图书",
        "教学用计算机（台）",
        "网络多媒体教室（间）",
    ],
    [
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "合计",
        "其中：女",
        "研究生",
        "本科",
        "专科",
        "高中及以下",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ],
    [
        None,
        None,
        None,
        None,
        None,
        None,
        "人",
        "个",
        "人",
        "人",
        "人",
        "人",
        "人",
        "人",
        "人",
        "人",
        "人",
        "平方米",
        "平方米",
        "平方米",
        "万元",
        "万册",
        None,
        None,
    ],
    [
        "甲",
        "乙",
        "丙",
        "丁",
        "戊",
        "己",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "18",
    ],
]
PRIMARY_MERGES = [
    "A1:X1",
    "A2:A3",
    "B2:B3",
    "C2:C3",
    "D2:D3",
    "E2:E3",
    "F2:F3",
    "G2:G3",
    "H2:H3",
    "I2:N2",
    "O2:O3",
    "P2:P3",
    "Q2:Q3",
    "R2:R3",
    "S2:S3",
    "T2:T3",
    "U2:U3",
    "V2:V3",
    "W2:W3",
    "X2:X3",
]
PRIMARY_ROWS: list[list[Any]] = [
    # 序号, 标识码, 名称, 区县, 办学性质, 城乡, 学生, 班, 专任教师 合计 女 研究生 本科 专科 高中,
    # 体育 音乐 美术, 教学辅助用房, 体育馆, 运动场地, 设备(万元), 图书(万册), 计算机, 多媒体
    [
        None,
        None,
        "全县合计",
        None,
        None,
        None,
        2150,
        49,
        124,
        90,
        3,
        87,
        30,
        4,
        10,
        6,
        6,
        16050,
        1200,
        19500,
        860.5,
        4.75,
        215,
        57,
    ],
    [
        1,
        "2130000001",
        "城关第一小学",
        "130102 长安区",
        "公办",
        "111",
        1200,
        27,
        70,
        52,
        2,
        50,
        16,
        2,
        6,
        3,
        3,
        9000,
        1200,
        10500,
        520.25,
        2.6,
        130,
        30,
    ],
    [
        2,
        "2130000002",
        "东关小学",
        "130102 长安区",
        "公办",
        "121",
        620,
        14,
        36,
        25,
        1,
        24,
        10,
        1,
        3,
        2,
        2,
        4800,
        None,
        6000,
        250.25,
        1.45,
        60,
        17,
    ],
    [
        3,
        "2130000003",
        "育才学校",
        "130102 长安区",
        "民办",
        "220",
        330,
        8,
        18,
        13,
        None,
        13,
        4,
        1,
        1,
        1,
        1,
        2250,
        None,
        3000,
        90,
        0.7,
        25,
        10,
    ],
]
PRIMARY_NOTES = [["注：本表数据截至2023年9月。"], ["填表人：张三", None, "审核人：李四"]]


def _write_xlsx(path: Path, sheets: list[tuple[str, list[list[Any]], list[str]]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    first = True
    for title, rows, merges in sheets:
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = title
        for row in rows:
            sheet.append(row)
        for ref in merges:
            sheet.merge_cells(ref)
    book.save(path)


def primary_sample(path: Path) -> None:
    """小学基本情况 with title, merged group, unit and number rows, totals at the top."""
    _write_xlsx(path, [("小学", PRIMARY_HEADER + PRIMARY_ROWS + PRIMARY_NOTES, PRIMARY_MERGES)])


LEVEL_HEADER = [
    "学校(机构)标识码",
    "学校名称",
    "县区名称",
    "办学类型",
    "学生数",
    "班级数",
    "专任教师数",
    "高于规定学历专任教师数",
    "县级以上骨干教师数",
]


def per_level_sample(path: Path) -> None:
    """One sheet per level (小学, 初中): a nine-year school appears in both."""
    primary = [
        LEVEL_HEADER,
        ["2130000011", "实验小学", "某县", "小学", 900, 20, 50, 48, 10],
        ["3130000012", "新城学校", "某县", "九年一贯制学校", 600, 14, 34, 33, 6],
    ]
    junior = [
        LEVEL_HEADER,
        ["3130000013", "第一中学", "某县", "初级中学", 1100, 24, 80, 70, 16],
        ["3130000012", "新城学校", "某县", "九年一贯制学校", 450, 10, 36, 30, 8],
    ]
    _write_xlsx(path, [("小学", primary, []), ("初中", junior, [])])


def per_table_sample(path: Path) -> None:
    """One sheet per table (基本情况, 教师, 校舍) joined on the school id; type codes."""
    basic = [
        [
            "学校(机构)标识码",
            "学校名称",
            "学校类型代码",
            "办学性质",
            "城乡分类",
            "小学在校生数",
            "初中在校生数",
        ],
        ["2130000021", "河西小学", "211", "公办", "210乡中心区", 480, None],
        ["3130000022", "河西中学", "311", "公办", "122镇乡结合区", None, 720],
    ]
    primary_teachers = [
        ["学校(机构)标识码", "专任教师", "博士", "硕士", "本科", "专科", "高中及以下"],
        ["2130000021", 28, 0, 1, 18, 8, 1],
    ]
    junior_teachers = [
        ["学校(机构)标识码", "专任教师", "博士", "硕士", "本科", "专科", "高中及以下"],
        ["3130000022", 52, 1, 4, 40, 7, None],
    ]
    buildings = [
        [
            "学校(机构)标识码",
            "教室",
            "实验室",
            "专用教室",
            "图书室",
            "微机室",
            "体育馆",
            "运动场地",
        ],
        ["2130000021", 1500, 200, 400, 120, 90, None, 5200],
        ["3130000022", 2600, 640, 700, 260, 180, 900, 8800],
    ]
    _write_xlsx(
        path,
        [
            ("基本情况", basic, []),
            ("小学教师", primary_teachers, []),
            ("初中教师", junior_teachers, []),
            ("校舍", buildings, []),
        ],
    )


def platform_sample(path: Path) -> None:
    """An inspection-platform CSV saved by Excel on Chinese Windows (GBK)."""
    lines = [
        "学校(机构)标识码,学校名称,学校类型,办学性质,所在地区划三级,小学在校生数,初中在校生数,"
        "网络多媒体教室（间）,教学用计算机（台）,图书（万册）,县级及以上骨干教师数",
        "2130000031,南关小学,小学,公办,130104 桥西区,760,,19,80,1.9,9",
        "3130000032,南关中学,初级中学,公办,130104 桥西区,,640,16,75,2.2,12",
        "2130000033,光明小学,小学,民办,130105 新华区,410,,12,44,0.8,3",
        "合计,,,,,1170,640,47,199,4.9,24",
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


SAMPLES = {
    "statistics-primary.xlsx": primary_sample,
    "per-level-sheets.xlsx": per_level_sample,
    "per-table-sheets.xlsx": per_table_sample,
    "platform-export.csv": platform_sample,
}


def main(folder: Path = HERE) -> int:
    for name, write in SAMPLES.items():
        write(folder / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE))

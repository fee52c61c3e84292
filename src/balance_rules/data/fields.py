"""The canonical school-table columns and county facts, with Chinese aliases.

This module is the single list of names the project knows (``domain/data.md``).
Readers map headers onto it; the engine maps a school's per-level columns onto
level-free *section fields* that indicators are written against.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BOOLEAN_FACTS",
    "COMBINED_TYPES",
    "COUNT_FIELDS",
    "FACILITY_FIELDS",
    "FACTS",
    "FACT_ALIASES",
    "LEVELS",
    "LEVEL_TEACHER_SUFFIXES",
    "NUMERIC_FIELDS",
    "PERCENT_FACTS",
    "SCHOOL_ALIASES",
    "SCHOOL_TYPES",
    "SCHOOL_TYPE_LEVELS",
    "SECTION_FIELDS",
    "TEXT_FIELDS",
    "VALUE_ALIASES",
]

#: Levels of compulsory education the engine evaluates, and the senior level that
#: only matters for splitting facilities of twelve-year and complete secondary schools.
LEVELS: Final = ("primary", "junior")
ALL_LEVELS: Final = ("primary", "junior", "senior")

SCHOOL_TYPES: Final = (
    "primary",
    "junior",
    "nine_year",
    "twelve_year",
    "complete_secondary",
    "teaching_point",
    "special",
    "vocational",
)

#: The levels whose students a school of each type reports.
SCHOOL_TYPE_LEVELS: Final[dict[str, tuple[str, ...]]] = {
    "primary": ("primary",),
    "teaching_point": ("primary",),
    "junior": ("junior",),
    "vocational": ("junior",),
    "special": ("primary", "junior"),
    "nine_year": ("primary", "junior"),
    "twelve_year": ("primary", "junior", "senior"),
    "complete_secondary": ("junior", "senior"),
}

#: School types made of more than one level section.
COMBINED_TYPES: Final = frozenset({"nine_year", "twelve_year", "complete_secondary"})

OWNERSHIPS: Final = ("public", "private")
AUTHORITIES: Final = ("county", "city", "province", "central", "other")
LOCATIONS: Final = ("urban", "town", "rural")

TEXT_FIELDS: Final = (
    "county",
    "school_id",
    "school_name",
    "school_type",
    "ownership",
    "authority",
    "location",
    "parent_school_id",
)

LEVEL_TEACHER_SUFFIXES: Final = (
    "teachers",
    "teachers_above_degree",
    "teachers_mid_title",
    "backbone_teachers",
    "pe_art_teachers",
    "certified_teachers",
)

#: Per-level columns: ``{level}_{suffix}``.
LEVEL_SUFFIXES: Final = ("students", "classes", "max_class_size", *LEVEL_TEACHER_SUFFIXES)

FACILITY_FIELDS: Final = (
    "site_area",
    "building_area",
    "teaching_aux_area",
    "sports_area",
    "equipment_value",
    "computers",
    "books",
    "multimedia_rooms",
    "labs",
    "music_rooms",
    "art_rooms",
    "min_music_room_area",
    "min_art_room_area",
)

#: Columns that are not summed when a sub-site merges into its parent.
MINIMUM_FIELDS: Final = frozenset({"min_music_room_area", "min_art_room_area"})
MAXIMUM_FIELDS: Final = frozenset({"primary_max_class_size", "junior_max_class_size"})


def _level_fields() -> tuple[str, ...]:
    fields = []
    for suffix in LEVEL_SUFFIXES:
        for level in ALL_LEVELS:
            if level == "senior" and suffix not in ("students",):
                continue
            fields.append(f"{level}_{suffix}")
    return tuple(fields)


LEVEL_FIELDS: Final = _level_fields()
NUMERIC_FIELDS: Final = (*LEVEL_FIELDS, *FACILITY_FIELDS, "counted_as_school")

#: Columns that hold whole numbers (counts); the others may be fractional.
COUNT_FIELDS: Final = frozenset(
    f for f in NUMERIC_FIELDS if not f.endswith(("_area", "equipment_value", "counted_as_school"))
)

#: Field names an indicator can use: the level-free view of one school section.
SECTION_FIELDS: Final = (
    *LEVEL_SUFFIXES,
    "school_students",  # compulsory-stage students of the whole school
    "school_classes",  # compulsory-stage classes of the whole school
    *FACILITY_FIELDS,
)

SCHOOL_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "county": (
        "县区",
        "区县",
        "县(市、区)",
        "县（市、区）",
        "所属县区",
        "区县名称",
        "县区名称",
        "所在地区划三级",
        "统计三级",
        "行政区划",
    ),
    "school_id": (
        "学校标识码",
        "学校代码",
        "学校(机构)标识码",
        "学校（机构）标识码",
        "机构代码",
        "学校(机构)代码",
    ),
    "school_name": ("学校名称", "学校(机构)名称", "学校（机构）名称"),
    "school_type": ("学校类型", "办学类型"),
    "ownership": ("办别", "举办性质", "办学性质", "举办者类型"),
    "authority": ("隶属", "主管部门级别"),
    "location": ("城乡分类", "所在地类型"),
    "parent_school_id": ("所属学校标识码", "中心校"),
    "counted_as_school": ("是否计校数",),
    "primary_students": ("小学在校生数",),
    "junior_students": ("初中在校生数",),
    "senior_students": ("高中在校生数",),
    "primary_classes": ("小学班级数",),
    "junior_classes": ("初中班级数",),
    "primary_max_class_size": ("小学最大班额",),
    "junior_max_class_size": ("初中最大班额",),
    "site_area": ("占地面积",),
    "building_area": ("校舍建筑面积",),
    "teaching_aux_area": ("教学及辅助用房面积",),
    "sports_area": ("体育运动场馆面积",),
    "equipment_value": ("教学仪器设备资产值", "教学仪器设备值"),
    "computers": ("教学用计算机台数", "计算机台数", "教学用计算机", "计算机/其中：教学用"),
    "books": ("图书册数", "图书(册)", "图书（册）", "图书"),
    "multimedia_rooms": ("网络多媒体教室数", "网络多媒体教室"),
    "labs": ("实验室个数",),
    "music_rooms": ("音乐专用教室数",),
    "art_rooms": ("美术专用教室数",),
    "min_music_room_area": ("最小音乐教室面积",),
    "min_art_room_area": ("最小美术教室面积",),
}

_TEACHER_ZH: Final = {
    "teachers": "专任教师数",
    "teachers_above_degree": "高于规定学历专任教师数",
    "teachers_mid_title": "中级及以上专业技术职务专任教师数",
    "backbone_teachers": "县级及以上骨干教师数",
    "pe_art_teachers": "体育、艺术(音乐、美术)专任教师数",
    "certified_teachers": "持教师资格证专任教师数",
}
_LEVEL_ZH: Final = {"primary": "小学", "junior": "初中"}
for _suffix, _zh in _TEACHER_ZH.items():
    for _level, _level_zh in _LEVEL_ZH.items():
        SCHOOL_ALIASES[f"{_level}_{_suffix}"] = (_level_zh + _zh,)
    # A single-level school may use the unprefixed name; readers resolve the level.
    SCHOOL_ALIASES[_suffix] = (_zh,)
SCHOOL_ALIASES["backbone_teachers"] = (
    "县级及以上骨干教师数",
    "县级以上骨干教师数",
    "县级及以上骨干教师",
    "县级以上骨干教师",
)
# "在校生数" and "学生数" name no level: read onto a single-level school's level,
# refused for a combined school or a file without a school type (never guessed).
SCHOOL_ALIASES["students"] = ("在校生数", "学生数")
SCHOOL_ALIASES["classes"] = ("班级数",)
SCHOOL_ALIASES["max_class_size"] = ("最大班额",)

#: Accepted spellings of categorical values, mapped to the canonical value.
VALUE_ALIASES: Final[dict[str, dict[str, str]]] = {
    "school_type": {
        "小学": "primary",
        "初级中学": "junior",
        "初中": "junior",
        "九年一贯制学校": "nine_year",
        "九年一贯制": "nine_year",
        "十二年一贯制学校": "twelve_year",
        "十二年一贯制": "twelve_year",
        "完全中学": "complete_secondary",
        "教学点": "teaching_point",
        "小学教学点": "teaching_point",
        "特殊教育学校": "special",
        "特教学校": "special",
        "职业初中": "vocational",
        "职业学校": "vocational",
        "普通小学": "primary",
        "普通初中": "junior",
        "初级中学（普通初中）": "junior",
        "完全小学": "primary",
        "中心小学": "primary",
        "一贯制学校": "nine_year",
        "十二年一贯制学校（小学、初中、高中）": "twelve_year",
        "完中": "complete_secondary",
        "小学教学点（含村小）": "teaching_point",
    },
    "ownership": {
        "公办": "public",
        "民办": "private",
        "教育部门": "public",
        "其他部门": "public",
        "地方企业": "public",
        "事业单位": "public",
    },
    "authority": {
        "县级": "county",
        "县": "county",
        "地市级": "city",
        "市级": "city",
        "省级": "province",
        "中央": "central",
        "其他": "other",
    },
    "location": {
        "城区": "urban",
        "镇区": "town",
        "乡村": "rural",
        # 统计用城乡分类代码 (国家统计局): 1xx 城镇 (11x 城区, 12x 镇区), 2xx 乡村.
        "主城区": "urban",
        "城乡结合区": "urban",
        "镇中心区": "town",
        "镇乡结合区": "town",
        "特殊区域": "town",
        "乡中心区": "rural",
        "村庄": "rural",
        "111": "urban",
        "112": "urban",
        "121": "town",
        "122": "town",
        "123": "town",
        "210": "rural",
        "220": "rural",
        "111主城区": "urban",
        "112城乡结合区": "urban",
        "121镇中心区": "town",
        "122镇乡结合区": "town",
        "123特殊区域": "town",
        "210乡中心区": "rural",
        "220村庄": "rural",
    },
}

#: County facts: canonical name -> kind ("percent", "bool", "number").
FACTS: Final[dict[str, str]] = {
    "gov_effort_score": "number",
    "satisfaction_rate": "percent",
    "planning_sound": "bool",
    "unified_standards": "bool",
    "staffing_allocated": "bool",
    "teacher_salary_ratio": "number",
    "training_completion_rate": "percent",
    "rotation_rate": "percent",
    "rotation_backbone_share": "percent",
    "certified_teacher_rate": "percent",
    "zoned_admission_primary": "percent",
    "zoned_admission_junior": "percent",
    "hs_quota_allocation_rate": "percent",
    "left_behind_care_system": "bool",
    "migrant_public_rate": "percent",
    "special_ed_funding_per_student": "number",
    "small_school_funding_floor": "bool",
    "retention_rate_junior": "percent",
    "disabled_enrolment_rate": "percent",
    "charters_and_it_management": "bool",
    "it_competence": "bool",
    "moral_education_good": "bool",
    "curriculum_complete": "bool",
    "homework_burden_ok": "bool",
    "training_spend_share": "percent",
    "monitoring_level3": "bool",
    "monitoring_difference_rate": "number",
    "exam_admission": "bool",
    "illegal_school_choice": "bool",
    "key_schools_or_classes": "bool",
}
PERCENT_FACTS: Final = frozenset(k for k, v in FACTS.items() if v == "percent")
BOOLEAN_FACTS: Final = frozenset(k for k, v in FACTS.items() if v == "bool")

FACT_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "county": ("县区", "区县", "县(市、区)", "县（市、区）", "所属县区"),
    "gov_effort_score": ("县级政府督导评估得分", "政府努力程度得分"),
    "satisfaction_rate": ("公众满意度", "社会认可度"),
    "retention_rate_junior": ("初中三年巩固率",),
    "disabled_enrolment_rate": ("残疾儿童少年入学率",),
    "migrant_public_rate": ("随迁子女在公办学校就读比例",),
    "special_ed_funding_per_student": ("特殊教育学校生均公用经费",),
    "teacher_salary_ratio": ("教师平均工资与公务员平均工资之比",),
    "rotation_rate": ("教师交流轮岗比例",),
    "rotation_backbone_share": ("骨干教师交流轮岗比例",),
    "certified_teacher_rate": ("专任教师持证上岗率",),
    "hs_quota_allocation_rate": ("优质高中招生名额分配比例",),
}

"""Enterprise size classification. Every expected value is read off the text of 《中小企业划型标准规定》
(工信部联企业〔2011〕300号) and the 大型 column of 《统计上大中小微型企业划分办法（2017）》, e.g. 工业:
「从业人员300人及以上，且营业收入2000万元及以上的为中型企业；从业人员20人及以上，且营业收入300万元及以上的为小型企业；
从业人员20人以下或营业收入300万元以下的为微型企业」, 大型「从业人员≥1000 且 营业收入≥40000」."""

import pytest

from jinfu.core.reference.size import DEFAULT, UnknownStandard, classify_size, find_sector

# (industry code, employees, revenue 万元, total assets 万元, expected)
BOUNDARIES = [
    # 工业 (B, C, D): employees + revenue
    ("3911", 1000, 40000, None, "large"),
    ("3911", 999, 40000, None, "medium"),
    ("3911", 1000, 39999.99, None, "medium"),
    ("3911", 300, 2000, None, "medium"),
    ("3911", 299, 2000, None, "small"),
    ("3911", 300, 1999.99, None, "small"),
    ("3911", 20, 300, None, "small"),
    ("3911", 19, 300, None, "micro"),
    ("3911", 20, 299.99, None, "micro"),
    ("3911", 5000, 100, None, "micro"),  # 营业收入300万元以下 → micro even with many employees
    ("0610", 300, 2000, None, "medium"),  # 采矿业 is 工业 too
    ("4411", 20, 300, None, "small"),  # 电力 is 工业 too
    # 软件和信息技术服务业 (65)
    ("6513", 300, 10000, None, "large"),
    ("6513", 299, 10000, None, "medium"),
    ("6513", 300, 9999, None, "medium"),
    ("6513", 100, 1000, None, "medium"),
    ("6513", 99, 1000, None, "small"),
    ("6513", 100, 999, None, "small"),
    ("6513", 10, 50, None, "small"),
    ("6513", 9, 50, None, "micro"),
    ("6513", 10, 49.9, None, "micro"),
    # 批发业 (51)
    ("5176", 200, 40000, None, "large"),
    ("5176", 199, 40000, None, "medium"),
    ("5176", 20, 5000, None, "medium"),
    ("5176", 19, 5000, None, "small"),
    ("5176", 20, 4999, None, "small"),
    ("5176", 5, 1000, None, "small"),
    ("5176", 4, 1000, None, "micro"),
    ("5176", 5, 999, None, "micro"),
    # 零售业 (52)
    ("5212", 300, 20000, None, "large"),
    ("5212", 300, 19999, None, "medium"),
    ("5212", 50, 500, None, "medium"),
    ("5212", 49, 500, None, "small"),
    ("5212", 50, 499, None, "small"),
    ("5212", 10, 100, None, "small"),
    ("5212", 9, 100, None, "micro"),
    ("5212", 10, 99, None, "micro"),
    # 建筑业 (E): revenue + total assets
    ("4710", None, 80000, 80000, "large"),
    ("4710", None, 80000, 79999, "medium"),
    ("4710", None, 6000, 5000, "medium"),
    ("4710", None, 5999, 5000, "small"),
    ("4710", None, 6000, 4999, "small"),
    ("4710", None, 300, 300, "small"),
    ("4710", None, 299, 300, "micro"),
    ("4710", None, 300, 299, "micro"),
    # 房地产开发经营 (7010): revenue + total assets
    ("7010", None, 200000, 10000, "large"),
    ("7010", None, 199999, 10000, "medium"),
    ("7010", None, 1000, 5000, "medium"),
    ("7010", None, 999, 5000, "small"),
    ("7010", None, 1000, 4999, "small"),
    ("7010", None, 100, 2000, "small"),
    ("7010", None, 99, 2000, "micro"),
    ("7010", None, 100, 1999, "micro"),
    # 租赁和商务服务业 (L): employees + total assets
    ("7211", 100, None, 8000, "medium"),
    ("7211", 100, None, 7999, "small"),
    ("7211", 10, None, 100, "small"),
    ("7211", 10, None, 99, "micro"),
    # 其他未列明行业 (e.g. M 科学研究和技术服务业): employees only
    ("7310", 300, None, None, "large"),
    ("7310", 299, None, None, "medium"),
    ("7310", 100, None, None, "medium"),
    ("7310", 99, None, None, "small"),
    ("7310", 10, None, None, "small"),
    ("7310", 9, None, None, "micro"),
    # 农、林、牧、渔业 (A): revenue only
    ("0111", None, 20000, None, "large"),
    ("0111", None, 500, None, "medium"),
    ("0111", None, 499, None, "small"),
    ("0111", None, 50, None, "small"),
    ("0111", None, 49, None, "micro"),
    # 物业管理 (7020): small needs 100 people and 500万
    ("7020", 100, 500, None, "small"),
    ("7020", 99, 500, None, "micro"),
    # 信息传输业 (63, 64)
    ("6311", 2000, 100000, None, "large"),
    ("6311", 1999, 100000, None, "medium"),
    # 仓储业 (59 except 5910) vs 交通运输业 (54-58 and 5910 装卸搬运)
    ("5920", 100, 1000, None, "medium"),
    ("5920", 99, 1000, None, "small"),
    ("5910", 300, 3000, None, "medium"),
    ("5910", 299, 3000, None, "small"),
    ("5431", 20, 200, None, "small"),
    ("5431", 20, 199, None, "micro"),
    # 邮政业 (60)
    ("6020", 300, 2000, None, "medium"),
    ("6020", 20, 100, None, "small"),
    # 住宿业 / 餐饮业
    ("6110", 100, 2000, None, "medium"),
    ("6210", 10, 100, None, "small"),
    ("6210", 10, 99, None, "micro"),
]


@pytest.mark.parametrize(("industry", "employees", "revenue", "assets", "expected"), BOUNDARIES)
def test_boundaries_default_standard(industry, employees, revenue, assets, expected):
    r = classify_size(industry, employees, revenue, assets)
    assert r.size_class == expected, r.explanation_zh
    assert r.standard == DEFAULT == "miit-2011"


@pytest.mark.parametrize(("industry", "employees", "revenue", "assets", "expected"), BOUNDARIES)
def test_boundaries_nbs_2017(industry, employees, revenue, assets, expected):
    # 统计上大中小微型企业划分办法（2017） uses the same thresholds for these sectors.
    r = classify_size(industry, employees, revenue, assets, standard="nbs-2017")
    assert r.size_class == expected, r.explanation_zh
    assert r.standard == "nbs-2017"


@pytest.mark.parametrize(
    ("industry", "sector_name"),
    [
        ("C", "工业"),
        ("B", "工业"),
        ("D", "工业"),
        ("E", "建筑业"),
        ("51", "批发业"),
        ("52", "零售业"),
        ("5431", "交通运输业"),
        ("5910", "交通运输业"),
        ("5920", "仓储业"),
        ("6020", "邮政业"),
        ("6110", "住宿业"),
        ("6210", "餐饮业"),
        ("6311", "信息传输业"),
        ("6410", "信息传输业"),
        ("65", "软件和信息技术服务业"),
        ("7010", "房地产开发经营"),
        ("7020", "物业管理"),
        ("L", "租赁和商务服务业"),
        ("A", "农、林、牧、渔业"),
        ("7310", "其他未列明行业"),
        ("8010", "其他未列明行业"),
        ("7030", "其他未列明行业"),
        ("5311", "其他未列明行业"),  # 交通运输业「不含铁路运输业」
        ("C3911", "工业"),  # "C3911" spelling accepted
    ],
)
def test_sector_mapping(industry, sector_name):
    sector, why = find_sector(industry)
    assert sector is not None, why
    assert sector["name"] == sector_name


@pytest.mark.parametrize("coarse", ["70", "F", "G", "59", "K"])
def test_codes_spanning_several_sectors_are_not_classified(coarse):
    r = classify_size(coarse, 10, 10, 10)
    assert r.size_class is None
    assert "更细" in r.explanation_zh


def test_finance_is_not_covered_by_this_standard():
    r = classify_size("6621", 50, 1000, 1000)
    assert r.size_class is None
    assert r.sector_name == "金融业"
    assert "金融业企业划型标准规定" in r.explanation_zh


def test_micro_needs_only_one_indicator_when_the_other_is_missing():
    assert classify_size("3911", 19, None, None).size_class == "micro"
    assert classify_size("4710", None, None, 299).size_class == "micro"


def test_insufficient_data_gives_none_and_names_the_missing_metric():
    r = classify_size("3911", 500, None, None)
    assert r.size_class is None
    assert r.missing == ("revenue",)
    assert "营业收入" in r.explanation_zh


def test_explanation_lists_the_thresholds_compared():
    r = classify_size("3911", 300, 2000, None)
    assert r.size_class_zh == "中型"
    for fragment in (
        "工信部联企业〔2011〕300号",
        "从业人员≥300人且营业收入≥2000万元",
        "国统字〔2017〕213号",
        "中型企业",
    ):
        assert fragment in r.explanation_zh


def test_invalid_input():
    with pytest.raises(UnknownStandard):
        classify_size("3911", 1, 1, None, standard="miit-1999")
    with pytest.raises(ValueError):
        classify_size("3911", -1, 100, None)
    assert classify_size("99999", 1, 1, 1).size_class is None
    assert classify_size("", 1, 1, 1).size_class is None

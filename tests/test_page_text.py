"""Defects the full-page scan found (tests/test_navigation_browser.py), pinned without a browser: the credit
profile's feature table shows labels and plain numbers, never identifiers, float artefacts or 「0.1 比例」."""

from django.template.loader import render_to_string

from jinfu.credit.selectors import feature_list


def test_feature_table_reads_as_labels_percentages_and_plain_numbers():
    rows = {
        r["name"]: r
        for r in feature_list({"insured_growth_12m": 0.125, "utility_cost_12m": 26.339999999999996})
    }
    assert (rows["insured_growth_12m"]["value"], rows["insured_growth_12m"]["unit"]) == (12.5, "%")
    html = render_to_string(
        "credit/profile.html",
        {"enterprise": {"name": "测试企业"}, "feature_list": list(rows.values()), "features": True},
    )
    assert "insured_growth_12m" not in html.replace('data-feature="insured_growth_12m"', "")
    assert "utility_cost_12m" not in html.replace('data-feature="utility_cost_12m"', "")
    assert "26.34 万元" in html and "26.3399" not in html and "12.5 %" in html


def test_feature_labels_follow_the_language_switch():
    from django.utils import translation

    assert feature_list({"net_profit": 1.5})[0]["label"] == "净利润"
    with translation.override("en"):
        label = feature_list({"net_profit": 1.5})[0]["label"]
    assert label and label != "净利润" and "_" not in label

"""``{% fragment %}`` (core/templatetags/jinfu_fragments.py): a page part rendered once per data version and
language; a false version renders it every time and stores nothing."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

TEMPLATE = Template('{% load jinfu_fragments %}{% fragment "part" v %}{{ data }}{% endfragment %}')


def _fragment_keys() -> list[str]:
    return [k for k in cache._cache if ":jinfu:fragment:part:" in k]  # LocMemCache's own dict


def test_a_part_is_rendered_once_per_version_and_language():
    calls = []

    def data():
        calls.append(1)
        return "42"

    assert TEMPLATE.render(Context({"v": "a", "data": data})) == "42"
    assert TEMPLATE.render(Context({"v": "a", "data": data})) == "42"
    assert len(calls) == 1
    assert TEMPLATE.render(Context({"v": "b", "data": data})) == "42"
    assert len(calls) == 2
    with translation.override("en"):
        TEMPLATE.render(Context({"v": "b", "data": data}))
    assert len(calls) == 3


@pytest.mark.parametrize("version", [None, ""])
def test_no_version_renders_every_time_and_stores_nothing(version):
    for n in range(3):
        assert TEMPLATE.render(Context({"v": version, "data": n})) == str(n)
    assert _fragment_keys() == []


def test_the_tag_says_how_it_is_used():
    with pytest.raises(TemplateSyntaxError, match="usage"):
        Template("{% load jinfu_fragments %}{% fragment part v %}x{% endfragment %}")

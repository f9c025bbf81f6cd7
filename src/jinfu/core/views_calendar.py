"""The working-day calendar page (operators): which years are known and from where, and the form that enters
a year's holiday notice (typed lines or a CSV/XLSX file)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors_calendar, services_calendar
from .errors import JinfuError
from .principal import as_principal
from .web import page


class NoticeForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    notice_number = forms.CharField(
        label=_("通知文号"), max_length=64, help_text=_("如 国办发明电〔2026〕7号")
    )
    notice_date = forms.DateField(label=_("发布日期"), widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(label=_("通知标题"), max_length=200)
    source_url = forms.URLField(label=_("来源链接"), required=False)
    lines = forms.CharField(
        label=_("放假与调休日期"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("每行一天：日期 类型 节日，如「2027-01-01 放假 元旦」「2027-02-06 上班 春节」"),
    )
    file = forms.FileField(label=_("或上传文件（CSV/XLSX，列：日期、类型、节日）"), required=False)


def _line_rows(text: str) -> list[dict]:
    rows = []
    for line in text.splitlines():
        parts = line.replace(",", " ").replace("，", " ").split()
        if parts:
            rows.append(dict(zip(("date", "kind", "name"), parts + ["", ""], strict=False)))
    return rows


def _rows(form: NoticeForm) -> list[dict]:
    upload = form.cleaned_data.get("file")
    if upload is not None:
        return services_calendar.rows_from_file(upload.read(), upload.name)
    return _line_rows(form.cleaned_data.get("lines") or "")


@page
def calendar(request):
    if not as_principal(request.user).is_admin:
        raise PermissionDenied("仅平台运营人员可管理工作日历")
    form = NoticeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            upload = data.get("file")
            days = services_calendar.parse_days(data["year"], _rows(form), first_row=2 if upload else 1)
            notice = services_calendar.enter_notice(
                request.user,
                year=data["year"],
                notice_number=data["notice_number"],
                notice_date=data["notice_date"],
                title=data["title"],
                source_url=data["source_url"],
                days=days,
            )
        except JinfuError as exc:
            form.add_error(None, exc.message_zh)
        else:
            messages.success(
                request, f"已录入 {notice.year} 年放假安排（第 {notice.version} 版，{len(days)} 天）"
            )
            return redirect("calendar")
    today = timezone.localdate()
    return render(
        request,
        "core/calendar.html",
        {
            "form": form,
            "years": selectors_calendar.overview(today),
            "missing": selectors_calendar.missing_next_year(today),
        },
    )

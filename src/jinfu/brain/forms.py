from django import forms
from django.utils.translation import gettext_lazy as _

from jinfu.core.models import Organization, Role, User

from .models import Actual


class ActualForm(forms.Form):
    year = forms.IntegerField(label=_("年份"))
    period_kind = forms.ChoiceField(choices=Actual.PeriodKind.choices, initial="year", label=_("周期"))
    period = forms.IntegerField(required=False, initial=0, label=_("季度/月份（年度填 0）"))
    value = forms.CharField(label=_("数值"))
    unit = forms.CharField(required=False, label=_("单位（默认指标单位）"))
    source = forms.CharField(max_length=255, label=_("数据来源"))
    note = forms.CharField(max_length=255, required=False, label=_("更正说明（更正已填报数值时填写）"))


class ProgressForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("进展情况"))
    percent = forms.IntegerField(min_value=0, max_value=100, label=_("完成进度（%）"))
    attachment = forms.FileField(required=False, label=_("附件"))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))
    dry_run = forms.BooleanField(required=False, initial=True, label=_("仅校验，不写入"))


class AssignForm(forms.Form):
    owner_org = forms.ModelChoiceField(
        queryset=None, required=False, label=_("督办责任单位"), empty_label=_("（未分派）")
    )
    owner_user = forms.ModelChoiceField(
        queryset=None, required=False, label=_("责任人"), empty_label=_("（不指定）")
    )
    due_date = forms.DateField(
        required=False, label=_("完成时限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["owner_org"].queryset = Organization.objects.filter(
            kind=Organization.Kind.GOVERNMENT
        ).order_by("name")
        self.fields["owner_user"].queryset = User.objects.filter(
            role=Role.GOVERNMENT, is_active=True
        ).order_by("username")

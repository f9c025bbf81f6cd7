import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .apikeys import api_scopes
from .models import Organization, Purpose, Scope
from .text import char_label, invisible_chars


def no_invisible_characters(value: str) -> None:
    """Form validator for names: refuses invisible control characters (see jinfu.core.text)."""
    found = invisible_chars(value or "")
    if found:
        raise forms.ValidationError(
            _("含有不可见的控制字符（%(chars)s），请删除后重新填写")
            % {"chars": ", ".join(dict.fromkeys(char_label(ch) for _pos, ch in found))}
        )


class GrantForm(forms.Form):
    grantee = forms.ModelChoiceField(
        queryset=Organization.objects.filter(kind=Organization.Kind.INSTITUTION).order_by("name"),
        label=_("被授权机构"),
        empty_label=_("请选择金融机构"),
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, label=_("授权范围")
    )
    purpose = forms.ChoiceField(choices=Purpose.choices, label=_("用途"))
    purpose_note = forms.CharField(
        max_length=255, required=False, label=_("用途说明"), validators=[no_invisible_characters]
    )
    days = forms.IntegerField(min_value=1, max_value=1096, initial=90, label=_("有效期（天）"))

    def expires_at(self) -> dt.datetime:
        return timezone.now() + dt.timedelta(days=self.cleaned_data["days"])


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("名称"), validators=[no_invisible_characters])
    scopes = forms.MultipleChoiceField(
        choices=lambda: list(api_scopes().items()), widget=forms.CheckboxSelectMultiple, label=_("权限")
    )
    days = forms.IntegerField(min_value=1, max_value=730, initial=365, label=_("有效期（天）"))


class TagCertificationForm(forms.Form):
    tag = forms.ChoiceField(label=_("标签"))
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        label=_("认定依据"),
        help_text=_("认定文件名称、文号或公布名单，例如：市经信委 2026 年专精特新中小企业名单"),
    )
    evidence_ref = forms.CharField(max_length=255, required=False, label=_("证明文件编号或存档位置"))
    valid_from = forms.DateField(label=_("有效期起"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(
        required=False, label=_("有效期止"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        from .models import Tag

        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = list(Tag.objects.order_by("code").values_list("code", "name"))

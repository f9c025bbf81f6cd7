from django import forms
from django.contrib import admin

from . import models as m


@admin.register(m.SourceBatch)
class SourceBatchAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "source_system", "adapter", "status", "rows", "started_at")
    list_filter = ("source", "adapter", "status")
    readonly_fields = ("errors",)


@admin.register(m.ConnectorConfig)
class ConnectorConfigAdmin(admin.ModelAdmin):
    list_display = ("source", "source_system", "endpoint", "paging", "active")


class TagRuleForm(forms.ModelForm):
    class Meta:
        model = m.TagRule
        fields = ["tag", "rule", "basis", "mode", "active"]

    def clean_rule(self):
        from jinfu.rules import ENTERPRISE_FIELDS, RuleError, compile_rule

        text = self.cleaned_data["rule"]
        try:
            compile_rule(text, ENTERPRISE_FIELDS)  # a broken rule is refused before it is stored
        except RuleError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text


@admin.register(m.TagRule)
class TagRuleAdmin(admin.ModelAdmin):
    form = TagRuleForm
    list_display = ("tag", "rule", "mode", "active", "updated_at")
    list_filter = ("mode", "active")


for model in (
    m.TaxRecord,
    m.SocialInsuranceRecord,
    m.UtilityRecord,
    m.ProcurementOrder,
    m.CourtRecord,
    m.PenaltyRecord,
    m.AbnormalListing,
    m.IPRecord,
    m.EnvironmentalRating,
):
    admin.site.register(
        model,
        list_display=("enterprise", "source_system", "fetched_at", "batch"),
        list_filter=("source_system",),
        raw_id_fields=("enterprise", "batch"),
    )

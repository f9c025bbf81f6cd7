from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from jinfu.core.admin import labelled_form, shown
from jinfu.rules import ENTERPRISE_FIELDS, RuleError, compile_rule

from . import models as m


class ImportForm(forms.Form):
    source = forms.ChoiceField(label=_("数据源"), choices=m.Source.choices)
    source_system = forms.CharField(label=_("来源系统"), max_length=100, initial="文件导入")
    file = forms.FileField(label=_("文件（.xlsx / .csv，按模板）"))


@admin.register(m.SourceBatch)
class SourceBatchAdmin(admin.ModelAdmin):
    """Batches, and the operator's file import (按模板导入) at ``import/``: all rows valid or nothing applied."""

    list_display = ("id", "source", "source_system", "adapter", "status", "rows", "started_at")
    list_filter = ("source", "adapter", "status")
    form = labelled_form(m.SourceBatch, created_by=_("导入人"))
    readonly_fields = ("errors",)
    change_list_template = "credit/admin/batch_changelist.html"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="credit_sourcebatch_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        from .services import import_file

        if not self.has_add_permission(request):
            raise PermissionDenied
        batch = None
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            f = form.cleaned_data["file"]
            batch = import_file(
                form.cleaned_data["source"],
                f.read(),
                f.name,
                source_system=form.cleaned_data["source_system"],
                user=request.user,
            )
        ctx = {
            **self.admin_site.each_context(request),
            "form": form,
            "batch": batch,
            "title": "按模板导入来源数据",
            "sources": m.Source.choices,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "credit/admin/import.html", ctx, status=422 if batch and batch.errors else 200
        )


@admin.register(m.ConnectorConfig)
class ConnectorConfigAdmin(admin.ModelAdmin):
    list_display = ("source", "source_system", "endpoint", "paging", "active")


class TagRuleForm(forms.ModelForm):
    class Meta:
        model = m.TagRule
        fields = ["tag", "rule", "basis", "mode", "active"]

    def clean_rule(self):

        text = self.cleaned_data["rule"]
        try:
            compile_rule(text, ENTERPRISE_FIELDS)  # a broken rule is refused before it is stored
        except RuleError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text


@admin.register(m.TagRule)
class TagRuleAdmin(admin.ModelAdmin):
    form = TagRuleForm
    list_display = ("tag", "rule", "mode", "active", shown("updated_at", _("更新时间")))
    list_filter = ("mode", "active")
    actions = ["apply_now"]

    @admin.action(description=_("立即按规则为全部企业打标签"))
    def apply_now(self, request, queryset):
        from .services import apply_tags

        counts = apply_tags()
        self.message_user(request, "；".join(f"{k}: {v}" for k, v in counts.items()) or "—")


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

"""Financing in the back office. Products, demands and applications change only through the services
(versioned publication, 揭榜, the application workflow with its events and time limits): here they are
view-only, so the admin cannot bypass those rules. Funds and roadshow projects are directory content the
operators maintain; every edit is audited (django-auditlog and a security event)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jinfu.core.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline, labelled_form, shown

from . import models as m

ENTERPRISE = shown("enterprise", _("企业"), ordering="enterprise__name")
INSTITUTION = shown("institution", _("金融机构"), ordering="institution__name")


class ProductVersionInline(ReadOnlyInline):
    model = m.ProductVersion
    verbose_name = _("发布版本")
    verbose_name_plural = _("发布版本")
    fields = readonly_fields = ["version_no", "published"]
    version_no = shown("version", _("版本"))
    published = shown("created_at", _("发布时间"))


@admin.register(m.Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", INSTITUTION, "category", "amount_min", "amount_max", "status", "version"]
    list_filter = ["status", "category", "subtype", "is_synthetic"]
    search_fields = ["name", "code", "institution__name"]
    inlines = [ProductVersionInline]


class DemandClaimInline(ReadOnlyInline):
    model = m.DemandClaim
    verbose_name = _("揭榜记录")
    verbose_name_plural = _("揭榜记录")
    fields = readonly_fields = ["claimant", "claimed", "expires_at", "claim_status"]
    claimant = shown("institution", _("金融机构"))
    claimed = shown("claimed_at", _("揭榜时间"))
    claim_status = shown("status", _("状态"))


@admin.register(m.Demand)
class DemandAdmin(ReadOnlyAdmin):
    labels = {"enterprise": _("企业"), "is_synthetic": _("示例数据")}
    list_display = [ENTERPRISE, "amount", "term_months", "urgency", "status", "created_at", "expires_at"]
    list_filter = ["status", "urgency"]
    search_fields = ["enterprise__name", "purpose"]
    inlines = [DemandClaimInline]


class ApplicationEventInline(ReadOnlyInline):
    model = m.ApplicationEvent
    verbose_name = _("办理记录")
    verbose_name_plural = _("办理记录")
    fields = readonly_fields = ["when", "from_step", "to_step", "by", "event_note", "due_on", "late"]
    when = shown("at", _("时间"))
    from_step = shown("from_status", _("原状态"), choices=m.Application.Status.choices)
    to_step = shown("to_status", _("新状态"), choices=m.Application.Status.choices)
    by = shown("actor", _("办理人"))
    event_note = shown("note", _("说明"))
    due_on = shown("due", _("时限"))
    late = admin.display(description=_("逾期"), boolean=True)(lambda *args: args[-1].overdue)


@admin.register(m.Application)
class ApplicationAdmin(ReadOnlyAdmin):
    labels = {
        "enterprise": _("企业"),
        "product": _("金融产品"),
        "product_version": _("产品版本"),
        "institution": _("金融机构"),
        "demand": _("融资需求"),
        "grant": _("数据授权"),
        "lock_version": _("版本号"),
        "is_synthetic": _("示例数据"),
    }
    list_display = [
        ENTERPRISE,
        shown("product", _("金融产品"), ordering="product__name"),
        INSTITUTION,
        "amount",
        "status",
        "approved_amount",
        "submitted_at",
        "stage_due",
    ]
    list_filter = ["status", "is_first_loan"]
    search_fields = ["enterprise__name", "institution__name", "product__name"]
    date_hierarchy = "submitted_at"
    inlines = [ApplicationEventInline]


class FundRecordInline(admin.TabularInline):
    model = m.FundRecord
    form = labelled_form(m.FundRecord, counterparty=_("交易对手"))
    verbose_name = _("募投管退记录")
    verbose_name_plural = _("募投管退记录")
    fields = ["kind", "date", "amount", "counterparty", "note"]
    raw_id_fields = ["counterparty"]
    extra = 0


@admin.register(m.Fund)
class FundAdmin(AuditedAdmin):
    form = labelled_form(m.Fund, is_synthetic=_("示例数据"))
    list_display = ["name", shown("manager", _("管理人"), ordering="manager__name"), "size"]
    search_fields = ["name", "manager__name"]
    raw_id_fields = ["manager"]
    inlines = [FundRecordInline]


@admin.register(m.RoadshowProject)
class RoadshowProjectAdmin(AuditedAdmin):
    form = labelled_form(m.RoadshowProject, enterprise=_("企业"), is_synthetic=_("示例数据"))
    list_display = [
        "title",
        ENTERPRISE,
        "stage",
        "amount_sought",
        "published",
        shown("created_at", _("创建时间")),
    ]
    list_filter = ["published", "stage"]
    search_fields = ["title", "enterprise__name"]
    raw_id_fields = ["enterprise"]

"""Policy fulfilment in the back office. Policies, their fulfilment items and tags are reference content
the operators maintain (rules are checked before they are stored, the search index follows every edit,
publication stays with the government's service). Budgets, claims, objections and payouts move only
through the services (row locks, the claim workflow with its events, publicity, the payout ledger): here
they are view-only, so the admin cannot bypass those rules. Every edit is audited."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jinfu.core.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline, labelled_form, shown
from jinfu.core.errors import ValidationFailed
from jinfu.core.selectors import SCOPE_FIELDS, check_enterprise_access

from . import models as m

ENTERPRISE = shown("enterprise", _("企业"), ordering="enterprise__name")
ITEM = shown("item", _("兑现事项"), ordering="item__title")


@admin.register(m.PolicyTag)
class PolicyTagAdmin(AuditedAdmin):
    form = labelled_form(m.PolicyTag)
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class PolicyItemForm(labelled_form(m.PolicyItem)):
    """The eligibility rule and the benefit formula compile before they are stored (as in the services)."""

    def clean(self):
        from .services import check_rules

        data = super().clean()
        try:
            check_rules(data.get("eligibility_rule") or "", data.get("benefit_formula") or "")
        except ValidationFailed as exc:
            self.add_error(
                exc.field if exc.field in self.fields else None, forms.ValidationError(exc.message_zh)
            )
        return data


class ReindexAfterSave:
    """The policy search index (jieba tokens, FTS) follows every back-office edit."""

    def save_related(self, request, form, formsets, change):
        from .services import reindex

        super().save_related(request, form, formsets, change)
        obj = form.instance
        reindex(obj if isinstance(obj, m.Policy) else obj.policy)


@admin.register(m.Policy)
class PolicyAdmin(ReindexAfterSave, AuditedAdmin):
    form = labelled_form(m.Policy)
    list_display = [
        "title",
        "code",
        "issuer",
        "doc_number",
        "division",
        "issued_on",
        "status",
        "is_reference",
    ]
    list_filter = ["status", "is_reference", "is_synthetic"]
    search_fields = ["title", "code", "doc_number", "issuer"]
    raw_id_fields = ["division"]
    filter_horizontal = ["tags"]
    # publication (and withdrawal) is the government's act through policy.services.publish_policy
    readonly_fields = ["status", "published_at", "data_version"]
    exclude = ["published_by"]


@admin.register(m.PolicyItem)
class PolicyItemAdmin(ReindexAfterSave, AuditedAdmin):
    form = PolicyItemForm
    list_display = [
        "title",
        "code",
        shown("policy", _("政策"), ordering="policy__title"),
        "mode",
        "cap",
        "status",
    ]
    list_filter = ["mode", "status", "is_synthetic"]
    search_fields = ["title", "code", "policy__title"]
    raw_id_fields = ["policy"]
    exclude = ["lock_version"]

    def save_model(self, request, obj, form, change):
        if change:  # a web form open on the old version is refused (optimistic lock, as save_item)
            obj.lock_version += 1
        super().save_model(request, obj, form, change)


@admin.register(m.Budget)
class BudgetAdmin(ReadOnlyAdmin):
    """Remaining amounts are reserved and released by the claims under a row lock (policy.services)."""

    labels = {"item": _("兑现事项")}

    list_display = [ITEM, "period", "total", "remaining"]
    list_filter = ["period"]
    search_fields = ["item__title", "item__code"]


class ClaimEventInline(ReadOnlyInline):
    model = m.ClaimEvent
    verbose_name = _("办理记录")
    verbose_name_plural = _("办理记录")
    fields = readonly_fields = ["when", "from_step", "to_step", "by", "event_note", "due_on", "late"]
    when = shown("at", _("时间"))
    from_step = shown("from_status", _("原状态"), choices=m.Claim.Status.choices)
    to_step = shown("to_status", _("新状态"), choices=m.Claim.Status.choices)
    by = shown("actor", _("办理人"))
    event_note = shown("note", _("说明"))
    due_on = shown("due", _("时限"))
    late = admin.display(description=_("逾期"), boolean=True)(lambda *args: args[-1].overdue)


class ObjectionInline(ReadOnlyInline):
    model = m.Objection
    verbose_name = _("公示异议")
    verbose_name_plural = _("公示异议")
    fields = readonly_fields = ["raised_on", "text", "status", "resolution"]


@admin.register(m.Claim)
class ClaimAdmin(ReadOnlyAdmin):
    """A claim's basis (测算依据) and declared values hold the enterprise's non-public figures (revenue,
    employees …): the operator's read of a claim goes through the consent check and is recorded per scope,
    like the enterprise's own page in the back office."""

    labels = {"submitted_by": _("申报人"), "lock_version": _("版本号")}
    list_display = [ITEM, ENTERPRISE, "period", "status", "estimated_amount", "approved_amount", "stage_due"]
    list_filter = ["status", "period"]
    search_fields = ["enterprise__name", "item__title", "item__code"]
    inlines = [ClaimEventInline, ObjectionInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, object_id)
        if claim is not None and self.has_view_permission(request, claim):
            for scope in SCOPE_FIELDS:
                check_enterprise_access(request.user, claim.enterprise, scope)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(m.Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    """Objections are raised and resolved through policy.services (resolution moves the claim)."""

    labels = {"claim": _("兑现申请"), "raised_by": _("提出人")}

    list_display = [shown("claim", _("兑现申请")), "raised_on", "status", shown("created_at", _("登记时间"))]
    list_filter = ["status"]
    search_fields = ["text", "claim__enterprise__name"]


@admin.register(m.Payout)
class PayoutAdmin(ReadOnlyAdmin):
    labels = {"claim": _("兑现申请"), "item": _("兑现事项"), "enterprise": _("企业"), "paid_by": _("经办人")}
    list_display = ["voucher", ENTERPRISE, ITEM, "period", "amount", "paid_on", "division_code"]
    list_filter = ["period", "is_synthetic"]
    search_fields = ["voucher", "enterprise__name", "item__title"]
    date_hierarchy = "paid_on"

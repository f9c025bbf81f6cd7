"""The Django admin as the operator back office. Admin actions are recorded (Django's LogEntry and ours)."""

from auditlog.admin import LogEntryAdmin as AuditLogEntryAdmin
from auditlog.models import LogEntry as AuditLogEntry
from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from . import models
from .audit import record_event
from .forms import no_invisible_characters
from .selectors import SCOPE_FIELDS, check_enterprise_access

admin.site.site_header = _("金服平台运营后台")
admin.site.site_title = _("金服运营后台")
admin.site.index_title = _("平台运营")


class AuditedAdmin(admin.ModelAdmin):
    """Every add/change/delete in the back office also lands in the security audit as an admin action."""

    def log_addition(self, request, obj, message):
        record_event(
            models.SecurityEvent.Kind.ADMIN_ACTION,
            user=request.user,
            action="add",
            model=obj._meta.label,
            object=str(obj)[:100],
            object_id=str(obj.pk),
        )
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        record_event(
            models.SecurityEvent.Kind.ADMIN_ACTION,
            user=request.user,
            action="change",
            model=obj._meta.label,
            object=str(obj)[:100],
            object_id=str(obj.pk),
        )
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            record_event(
                models.SecurityEvent.Kind.ADMIN_ACTION,
                user=request.user,
                action="delete",
                model=obj._meta.label,
                object=str(obj)[:100],
                object_id=str(obj.pk),
            )
        return super().log_deletions(request, queryset)


class NoWrites:
    """No add, no change, no delete, not even for a superuser (mixed into admins and inlines)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(NoWrites, admin.TabularInline):
    """Rows shown inside a record (events, versions, claims) that the back office may read, never write."""

    extra = 0
    can_delete = False


class ReadOnlyAdmin(NoWrites, admin.ModelAdmin):
    """Records the back office may look at and never write: audit evidence (access records, security
    events, change history) and grants, which only the enterprise gives and revokes (core.services). No
    add, no change, no delete, not even for a superuser; the list and each record's read-only page stay.

    ``labels`` names in Chinese the fields whose verbose_name is the English default (``{"enterprise":
    _("企业")}``): the read-only page shows them under that name."""

    labels: dict = {}
    # fields many records carry, named here when the model leaves them unnamed
    common_labels = {"created_at": _("创建时间"), "updated_at": _("更新时间"), "is_synthetic": _("示例数据")}

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        unnamed = {f.name for f in model._meta.fields if str(f.verbose_name) == f.name.replace("_", " ")}
        self.labels = {
            **{n: label for n, label in self.common_labels.items() if n in unnamed},
            **self.labels,
        }
        for name, label in self.labels.items():
            setattr(self, f"{name}_zh", shown(name, label))

    def get_fields(self, request, obj=None):
        if self.fields:
            names = list(self.fields)
        else:  # every field of the record, timestamps included, then the declared read-only extras
            opts = self.model._meta
            names = [f.name for f in [*opts.fields, *opts.many_to_many] if not f.auto_created]
            names += [n for n in self.readonly_fields if n not in names]
        names = [n for n in names if n not in (self.exclude or ())]
        return [f"{n}_zh" if n in self.labels else n for n in names]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)


def shown(field: str, label, *, ordering: str | None = None, choices=None):
    """A list column or read-only field with a Chinese heading, for a model field whose own verbose_name is
    the English default (a foreign key such as ``enterprise``, ``created_at``). Choices show their label.
    ``choices`` labels a code stored without choices (an event's ``to_status`` by the record's statuses).
    Works in ``list_display`` and as an attribute named in ``fields``/``readonly_fields`` (then bound)."""

    @admin.display(description=label, ordering=ordering or field)
    def show(*args):
        obj = args[-1]
        get_display = getattr(obj, f"get_{field}_display", None)
        value = get_display() if get_display else getattr(obj, field)
        return dict(choices).get(value, value) if choices else value

    show.__name__ = field
    return show


class NoInvisibleCharactersForm(forms.ModelForm):
    """Back-office forms refuse invisible control characters in every single-line text field, like the
    web forms, the API and the imports (jinfu.core.text)."""

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            value = data.get(name)
            if isinstance(value, str) and not isinstance(field.widget, forms.Textarea):
                try:
                    no_invisible_characters(value)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return data


def titled_filter(title):
    """A related-field list filter headed ``title`` (for a foreign key whose verbose_name is English)."""

    class TitledFilter(admin.RelatedFieldListFilter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return TitledFilter


def labelled_form(model, **labels):
    """A back-office form for ``model`` (invisible characters refused) naming in Chinese the fields whose
    verbose_name is the English default: ``labelled_form(Fund, manager=_("管理人"))``."""
    meta = type("Meta", (), {"model": model, "fields": "__all__", "labels": labels})
    return type(f"{model.__name__}AdminForm", (NoInvisibleCharactersForm,), {"Meta": meta})


class EnterpriseInline(admin.StackedInline):
    model = models.EnterpriseProfile
    form = NoInvisibleCharactersForm
    extra = 0
    autocomplete_fields = ["industry"]
    readonly_fields = ["size_class", "size_standard"]


class InstitutionInline(admin.StackedInline):
    model = models.InstitutionProfile
    form = NoInvisibleCharactersForm
    fk_name = "organization"
    extra = 0
    autocomplete_fields = ["parent"]


@admin.register(models.Organization)
class OrganizationAdmin(AuditedAdmin):
    form = NoInvisibleCharactersForm
    list_display = ["name", "kind", "uscc", "division", "zone", "is_synthetic", "updated_at"]
    list_filter = ["kind", "is_synthetic", "division"]
    search_fields = ["name", "uscc"]
    inlines = [EnterpriseInline, InstitutionInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """An enterprise's page shows its non-public profile (employees, revenue, ID number …): the
        operator's read goes through the consent check like any other and is recorded per scope."""
        org = self.get_object(request, object_id)
        if org is not None and hasattr(org, "enterprise") and self.has_view_permission(request, org):
            for scope in SCOPE_FIELDS:
                check_enterprise_access(request.user, org, scope)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(models.User)
class UserAdmin(BaseUserAdmin, AuditedAdmin):
    list_display = ["username", "display_name", "role", "organization", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "display_name", "organization__name"]
    autocomplete_fields = ["organization"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("金服"), {"fields": ("role", "organization", "display_name", "phone")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("金服"), {"fields": ("role", "organization", "display_name")}),
    )


@admin.register(models.Grant)
class GrantAdmin(ReadOnlyAdmin):
    """Grants are created and revoked only by the enterprise (core.services.grant_access/revoke_grant)."""

    labels = {"granted_by": _("授权人"), "revoked_by": _("撤销人")}

    list_display = ["enterprise", "grantee", "purpose", "granted_at", "expires_at", "revoked_at"]
    list_filter = ["purpose"]
    search_fields = ["enterprise__name", "grantee__name"]
    raw_id_fields = ["enterprise", "grantee", "granted_by", "revoked_by"]


@admin.register(models.AccessRecord)
class AccessRecordAdmin(ReadOnlyAdmin):
    labels = {
        "enterprise": _("企业"),
        "accessor_org": _("访问机构"),
        "accessor_user": _("访问人"),
        "grant": _("数据授权"),
    }
    list_display = [
        "at",
        shown("enterprise", _("企业"), ordering="enterprise__name"),
        shown("accessor_org", _("访问机构"), ordering="accessor_org__name"),
        shown("accessor_user", _("访问人"), ordering="accessor_user__username"),
        "scope",
        "channel",
        "allowed",
    ]
    list_filter = ["scope", "allowed", "channel"]
    raw_id_fields = ["enterprise", "accessor_org", "accessor_user", "grant"]


@admin.register(models.DisclosureRecord)
class DisclosureRecordAdmin(ReadOnlyAdmin):
    """Aggregate previews over private fields and refused attempts (jinfu.core.disclosure): evidence."""

    labels = {"accessor_org": _("访问机构"), "accessor_user": _("访问人")}
    list_display = [
        "at",
        "surface",
        "role",
        shown("accessor_org", _("访问机构"), ordering="accessor_org__name"),
        shown("accessor_user", _("访问人"), ordering="accessor_user__username"),
        "channel",
        "group_size",
        "outcome",
    ]
    list_filter = ["outcome", "surface", "role", "channel"]
    search_fields = ["rule_text", "formula_text", "api_key_prefix"]
    raw_id_fields = ["accessor_org", "accessor_user"]


@admin.register(models.SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    labels = {"user": _("用户")}
    list_display = ["at", "kind", "username", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["username"]


@admin.register(models.Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    """Metadata only (who, what, checksum): the file itself is opened through the attachment view, which
    checks and records each download (jinfu.core.attachments)."""

    list_display = ["uploaded_at", "original_name", "owner_type", "owner_id", "kind", "mime_type", "size"]
    list_filter = ["owner_type", "mime_type"]
    search_fields = ["original_name", "sha256"]
    raw_id_fields = ["organization", "uploaded_by"]
    exclude = ["stored_name"]


# django-auditlog registers its own change-history admin, which lets a deletion elsewhere in the admin
# cascade to history entries; here the history is read-only without exception.
admin.site.unregister(AuditLogEntry)


@admin.register(AuditLogEntry)
class ChangeHistoryAdmin(NoWrites, AuditLogEntryAdmin):
    @admin.display(description=_("关联请求编号"))
    def cid_url(self, obj):  # django-auditlog names this column in English without a msgid
        return super().cid_url(obj)


# django-tasks-db and django-axes name some columns in English without a msgid: the same admins, with
# Chinese column names.
admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    task_name = shown("task_name", _("任务"), ordering="task_path")
    list_display = [
        "id",
        "task_name",
        "status",
        "enqueued_at",
        "started_at",
        "finished_at",
        "priority",
        "queue_name",
    ]

    @admin.display(description=_("错误堆栈"))
    def formatted_traceback(self, obj):
        return super().formatted_traceback(obj)

    @admin.display(description=_("最早执行时间"))
    def display_run_after(self, obj):
        return super().display_run_after(obj)


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description=_("状态"))
    def status(self, obj):
        return super().status(obj)

    @admin.display(description=_("失效时间"))
    def expiration(self, obj):
        return super().expiration(obj)


@admin.register(models.ApiKey)
class ApiKeyAdmin(AuditedAdmin):
    form = labelled_form(models.ApiKey, organization=_("所属机构"), created_by=_("创建人"))
    list_display = [
        "name",
        shown("organization", _("所属机构"), ordering="organization__name"),
        "prefix",
        shown("created_at", _("创建时间")),
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    key_hash_zh = shown("key_hash", _("密钥摘要"))
    readonly_fields = ["prefix", "key_hash_zh", "last_used_at"]
    exclude = ["key_hash"]


@admin.register(models.Division)
class DivisionAdmin(admin.ModelAdmin):
    form = labelled_form(models.Division, parent=_("上级区划"), dataset=_("参考数据版本"))
    list_display = ["code", "name", "level", shown("parent", _("上级区划"), ordering="parent__code")]
    search_fields = ["code", "name"]


@admin.register(models.Zone)
class ZoneAdmin(admin.ModelAdmin):
    form = labelled_form(models.Zone, dataset=_("参考数据版本"))
    list_display = ["code", "name", "kind"]
    filter_horizontal = ["divisions"]


@admin.register(models.Industry)
class IndustryAdmin(admin.ModelAdmin):
    form = labelled_form(models.Industry, parent=_("上级门类"), dataset=_("参考数据版本"))
    list_display = ["code", "name", "level", "section"]
    list_filter = ["level", "section"]
    search_fields = ["code", "name"]


@admin.register(models.ReferenceDataset)
class ReferenceDatasetAdmin(admin.ModelAdmin):
    list_display = ["key", "version", "title", "effective_date", "row_count", "loaded_at"]


@admin.register(models.Tag)
class TagAdmin(AuditedAdmin):
    form = NoInvisibleCharactersForm
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(models.ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "kind_label",
        "status",
        "total_rows",
        shown("created_by", _("导入人")),
        "created_at",
    ]
    list_filter = ["status"]
    created_by_zh = shown("created_by", _("导入人"))
    readonly_fields = [
        {"created_by": "created_by_zh", "kind": "kind_label"}.get(n, n)
        for n in (f.name for f in models.ImportJob._meta.fields)
    ]
    exclude = ["created_by", "kind"]

    @admin.display(description=_("导入类型"), ordering="kind")
    def kind_label(self, obj):
        return obj.get_kind_display()

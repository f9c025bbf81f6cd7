from django.contrib import admin

from jinfu.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import JobRun, ScheduledJob


class RunInline(ReadOnlyInline):
    model = JobRun
    fields = ("slot", "catch_up", "started_at", "duration", "outcome", "message")
    readonly_fields = fields
    ordering = ("-started_at",)


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin):
    """Jobs come from the modules' contracts: the back office sees their last run and may pause one."""

    list_display = ("name", "label", "cron", "enabled", "last_started", "last_duration", "last_outcome")
    list_filter = ("enabled", "last_outcome")
    readonly_fields = (
        "name",
        "label",
        "cron",
        "last_slot",
        "last_started",
        "last_duration",
        "last_outcome",
        "last_message",
    )
    fields = ("name", "label", "cron", "enabled", *readonly_fields[3:])
    inlines = [RunInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("job", "slot", "catch_up", "started_at", "duration", "outcome")
    list_filter = ("outcome", "catch_up", "job")

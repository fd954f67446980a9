"""The audit log in the admin: read and filtered, never added to, changed or deleted there."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from pressroom.newsroom.admin import local_datetime

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["time", "action", "username", "object_type", "object_repr", "details"]
    list_filter = ["action", "at", "object_type"]
    search_fields = ["username", "object_repr", "object_id"]
    date_hierarchy = "at"
    fields = ["time", "action", "username", "object_type", "object_id", "object_repr", "details"]
    readonly_fields = fields

    def get_actions(self, request):
        return {}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("time"), ordering="at")
    def time(self, obj):
        return local_datetime(obj.at)

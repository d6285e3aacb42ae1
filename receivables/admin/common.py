"""What the receivables admin pages share."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from orders.admin.common import audit_history


def app_link(name: str, pk: int, text: str) -> str:
    """A link to the record's page in the app (Finance's pages), if that page exists."""
    try:
        url = reverse(name, args=[pk])
    except NoReverseMatch:
        return "—"
    return format_html('<a href="{}">{}</a>', url, text)


def copy_saved(obj: Model, saved: Model) -> None:
    """What the service saved, onto the admin's object (so the admin's messages and log name it)."""
    for field in type(saved)._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


class History(admin.ModelAdmin):
    @admin.display(description="history")
    def history(self, obj: Model) -> str:
        return audit_history(obj)

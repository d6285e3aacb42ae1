"""Dunning policy and levels, reminders, promises to pay, disputes, policy credit holds, statements."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from o2c.admin import DomainErrorsAsMessages, ReadOnlyAdmin, ReadOnlyInline, run_each, save_through_services
from o2c.audit import audit_record, field_changes, field_values
from orders.admin.common import ask_reason

from ..enums import DisputeStatus
from ..models import (
    CustomerStatement,
    Dispute,
    DunningLevel,
    DunningPolicy,
    PolicyCreditHold,
    PromiseToPay,
    Reminder,
    ReminderLog,
)
from ..services.disputes import dispute_open, dispute_reject, dispute_resolve, dispute_update
from ..services.dunning import reminder_email_send, reminder_run
from ..services.payments import promise_to_pay_record
from .common import History, app_link, copy_saved

# ---------------------------------------------------------------------------------------------
# Dunning: the policy and its levels are configuration; reminders and their logs are records


class DunningLevelInline(admin.TabularInline):
    model = DunningLevel
    extra = 0
    fields = ["level", "days_after_due", "subject", "body", "fee", "show_interest"]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "body":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 4, "cols": 50})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


POLICY_FIELDS = ("name", "is_default", "reference_rate", "interest_points", "compensation_amount",
                 "credit_hold_days", "write_off_limit")


@admin.register(DunningPolicy)
class DunningPolicyAdmin(History):
    """When reminders go out and what they charge (EU 2011/7 by default). Changes are audited."""

    list_display = ["name", "is_default", "interest_rate", "compensation_amount", "credit_hold_days",
                    "write_off_limit", "levels"]
    list_filter = ["is_default"]
    search_fields = ["name"]
    fields = [*POLICY_FIELDS, "history"]
    readonly_fields = ["history"]
    inlines = [DunningLevelInline]
    actions = ["run_reminders"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DunningPolicy]:
        return super().get_queryset(request).annotate(level_count=Count("levels"))

    def has_delete_permission(self, request: HttpRequest, obj: DunningPolicy | None = None) -> bool:
        return (obj is None or not obj.is_default) and super().has_delete_permission(request, obj)

    def has_remind_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("receivables.add_reminder")

    def save_model(self, request: HttpRequest, obj: DunningPolicy, form: forms.ModelForm, change: bool) -> None:
        before = field_values(DunningPolicy.objects.get(pk=obj.pk), POLICY_FIELDS) if change else {}
        super().save_model(request, obj, form, change)
        changes = field_changes(before, obj) if change else {name: getattr(obj, name) for name in POLICY_FIELDS}
        if changes:
            audit_record(obj=obj, action="updated" if change else "created", actor=request.user, data=changes)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        levels = {"added": [str(level) for level in formset.new_objects],
                  "changed": [f"{level}: {', '.join(fields)}" for level, fields in formset.changed_objects],
                  "deleted": [str(level) for level in formset.deleted_objects]}
        if any(levels.values()):
            audit_record(obj=form.instance, action="levels_changed", actor=request.user,
                         data={k: v for k, v in levels.items() if v})

    @admin.action(description="Run today's reminders now (the default policy; as the daily task does)",
                  permissions=["remind"])
    def run_reminders(self, request: HttpRequest, queryset: QuerySet[DunningPolicy]) -> None:
        written = reminder_run(actor=request.user)
        self.message_user(request, f"{len(written)} reminder(s) written; each is e-mailed by the worker."
                          if written else "No reminder is due today (or today's were sent already).",
                          messages.SUCCESS if written else messages.INFO)

    @admin.display(description="interest % a year")
    def interest_rate(self, obj: DunningPolicy) -> str:
        return f"{obj.interest_rate} ({obj.reference_rate} + {obj.interest_points})"

    @admin.display(description="levels", ordering="level_count")
    def levels(self, obj: DunningPolicy) -> int:
        return obj.level_count  # type: ignore[attr-defined]


class ReminderLogInline(ReadOnlyInline):
    model = ReminderLog
    fields = readonly_fields = ["invoice", "level", "amount_due", "days_overdue", "interest", "compensation",
                                "sent_on"]
    verbose_name_plural = "invoices reminded"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReminderLog]:
        return super().get_queryset(request).select_related("invoice")


class SentFilter(admin.SimpleListFilter):
    title = "e-mailed"
    parameter_name = "sent"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Sent"), ("no", "Not sent")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(sent_at__isnull=self.value() == "no")
        return queryset


@admin.register(Reminder)
class ReminderAdmin(History, ReadOnlyAdmin):
    list_display = ["run_date", "customer", "level", "currency", "total_due", "fee", "interest", "compensation",
                    "manual", "sent_at"]
    list_select_related = ["customer"]
    list_filter = ["level", SentFilter, "manual", "run_date", "currency"]
    search_fields = ["customer__number", "customer__legal_name", "email_to"]
    date_hierarchy = "run_date"
    show_full_result_count = False
    fields = readonly_fields = ["customer", "level", "run_date", "currency", "total_due", "fee", "interest",
                                "compensation", "email_to", "sent_at", "manual", "pdf", "created_by", "created_at",
                                "history"]
    inlines = [ReminderLogInline]
    actions = ["send"]

    def has_remind_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("receivables.add_reminder")

    @admin.action(description="E-mail the selected reminders not sent yet (with their PDF)", permissions=["remind"])
    def send(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        run_each(self, request, queryset.filter(sent_at__isnull=True), "Sent",
                 lambda r: None if reminder_email_send(reminder_id=r.pk)
                 else "not sent: its customer has no contact with an e-mail address.")


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "level", "sent_on", "amount_due", "days_overdue", "interest", "compensation",
                    "reminder"]
    list_select_related = ["invoice", "reminder__customer"]
    list_filter = ["level", "sent_on"]
    search_fields = ["invoice__number", "invoice__customer__number", "invoice__customer__legal_name"]
    date_hierarchy = "sent_on"
    show_full_result_count = False


# ---------------------------------------------------------------------------------------------
# Collections: promises to pay and disputes, through their services


class PromiseAddForm(forms.ModelForm):
    class Meta:
        model = PromiseToPay
        fields = ["invoice", "promised_date", "amount", "note"]


@admin.register(PromiseToPay)
class PromiseToPayAdmin(History, DomainErrorsAsMessages):
    """Recorded through `promise_to_pay_record` (audited on the invoice); not changed afterwards."""

    form = PromiseAddForm
    list_display = ["invoice", "customer", "promised_date", "amount", "note", "created_by", "created_at"]
    list_select_related = ["invoice__customer", "created_by"]
    list_filter = ["promised_date"]
    search_fields = ["invoice__number", "invoice__customer__number", "invoice__customer__legal_name", "note"]
    date_hierarchy = "promised_date"
    raw_id_fields = ["invoice"]

    def get_readonly_fields(self, request: HttpRequest, obj: PromiseToPay | None = None) -> list[str]:
        return [] if obj is None else [*PromiseAddForm.Meta.fields, "created_by", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: PromiseToPay | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PromiseToPay | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: PromiseToPay, form: forms.ModelForm, change: bool) -> None:
        saved = promise_to_pay_record(invoice_id=obj.invoice_id, promised_date=obj.promised_date, amount=obj.amount,
                                      note=obj.note, actor=request.user)
        copy_saved(obj, saved)

    @admin.display(description="customer", ordering="invoice__customer__legal_name")
    def customer(self, obj: PromiseToPay) -> str:
        return str(obj.invoice.customer)


class DisputeForm(forms.ModelForm):
    class Meta:
        model = Dispute
        fields = ["invoice", "reason", "amount", "note", "owner"]


DISPUTE_EDITABLE = ("note", "owner")
DISPUTE_FIELDS = ["invoice", "customer", "reason", "amount", "note", "owner", "status", "credit_note",
                  "resolution_note", "opened_by", "opened_at", "resolved_by", "resolved_at", "app_page", "history"]


def _dispute_create(*, actor: Any, invoice: Any, reason: str, amount: Any, note: str, owner: Any) -> Dispute:
    return dispute_open(invoice_id=invoice.pk, reason=reason, amount=amount, note=note,
                        owner_id=owner.pk if owner else None, actor=actor)


def _dispute_update(pk: int, *, actor: Any, **changes: Any) -> Dispute:
    if "owner" in changes:
        changes["owner_id"] = changes.pop("owner").pk if changes["owner"] else None
    return dispute_update(dispute_id=pk, actor=actor, **changes)


@admin.register(Dispute)
class DisputeAdmin(History, DomainErrorsAsMessages):
    """Opened through `dispute_open`; while open, its note and owner change through `dispute_update`;
    resolved (a credit note) or rejected by the actions."""

    form = DisputeForm
    list_display = ["id", "invoice", "customer", "reason", "amount", "status", "owner", "opened_at"]
    list_select_related = ["invoice", "customer", "owner"]
    list_filter = ["status", "reason", "opened_at"]
    search_fields = ["invoice__number", "customer__number", "customer__legal_name", "note"]
    date_hierarchy = "opened_at"
    raw_id_fields = ["invoice"]
    actions = ["resolve", "reject"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Dispute]:
        return super().get_queryset(request).select_related("invoice", "customer", "owner", "credit_note",
                                                            "opened_by", "resolved_by")

    def get_fields(self, request: HttpRequest, obj: Dispute | None = None) -> list[str]:
        return list(DisputeForm.Meta.fields) if obj is None else DISPUTE_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Dispute | None = None) -> list[str]:
        if obj is None:
            return []
        if obj.status == DisputeStatus.OPEN and self.has_change_permission(request, obj):
            return [name for name in DISPUTE_FIELDS if name not in DISPUTE_EDITABLE]
        return DISPUTE_FIELDS

    def has_change_permission(self, request: HttpRequest, obj: Dispute | None = None) -> bool:
        return (obj is None or obj.status == DisputeStatus.OPEN) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Dispute | None = None) -> bool:
        return False

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perms(["receivables.change_dispute", "billing.add_creditnote"])

    def save_model(self, request: HttpRequest, obj: Dispute, form: forms.ModelForm, change: bool) -> None:
        if change:
            save_through_services(obj, form, change, request.user, fields=DISPUTE_EDITABLE,
                                  create=_dispute_create, update=_dispute_update)
            return
        saved = _dispute_create(actor=request.user, invoice=obj.invoice, reason=obj.reason, amount=obj.amount,
                                note=obj.note, owner=obj.owner)
        copy_saved(obj, saved)

    @admin.action(description="Resolve: credit the disputed amount (a credit note through billing)",
                  permissions=["resolve"])
    def resolve(self, request: HttpRequest, queryset: QuerySet[Dispute]) -> TemplateResponse | None:
        note = ask_reason(self, request, queryset, action="resolve", title="Resolve the disputes by a credit note",
                          required=False)
        if not isinstance(note, str):
            return note
        run_each(self, request, queryset, "Resolved",
                 lambda d: dispute_resolve(dispute_id=d.pk, note=note, actor=request.user))
        return None

    @admin.action(description="Reject: the invoices stand, their reminders resume", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Dispute]) -> TemplateResponse | None:
        note = ask_reason(self, request, queryset, action="reject", title="Why are the disputes rejected?")
        if not isinstance(note, str):
            return note
        run_each(self, request, queryset, "Rejected",
                 lambda d: dispute_reject(dispute_id=d.pk, note=note, actor=request.user))
        return None

    @admin.display(description="in the app")
    def app_page(self, obj: Dispute) -> str:
        return app_link("receivables:dispute-detail", obj.pk, f"Dispute {obj.pk}")


# ---------------------------------------------------------------------------------------------
# Credit control and statements: records of what the policy and the monthly run did


@admin.register(PolicyCreditHold)
class PolicyCreditHoldAdmin(ReadOnlyAdmin):
    """Holds the policy put on (lifted by the policy when the customer has paid); hold or release by hand
    on the customer (orders)."""

    list_display = ["customer", "since", "oldest_due_date", "credit_hold_reason"]
    list_select_related = ["customer"]
    list_filter = ["since"]
    search_fields = ["customer__number", "customer__legal_name"]

    @admin.display(description="reason")
    def credit_hold_reason(self, obj: PolicyCreditHold) -> str:
        return obj.customer.credit_hold_reason


@admin.register(CustomerStatement)
class CustomerStatementAdmin(ReadOnlyAdmin):
    list_display = ["as_of", "customer", "open_balance", "email_to", "sent_at"]
    list_select_related = ["customer"]
    list_filter = ["as_of", SentFilter]
    search_fields = ["customer__number", "customer__legal_name", "email_to"]
    date_hierarchy = "as_of"

"""Payments, allocations, refunds, write-offs, bank statements and their lines, customer bank accounts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from o2c.admin import DomainErrorsAsMessages, ReadOnlyAdmin, ReadOnlyInline, run_each
from o2c.audit import audit_record, field_changes, field_values
from orders.admin.common import ask_reason

from ..enums import CASH_METHODS, LineStatus, PaymentMethod
from ..models import (
    APPLY_CASH,
    Allocation,
    BankStatement,
    BankStatementLine,
    CustomerBankAccount,
    Payment,
    Refund,
    WriteOff,
)
from ..services.payments import payment_allocate_oldest, payment_record
from ..services.statements import statement_line_ignore, statement_line_unignore
from .common import History, app_link, copy_saved

# ---------------------------------------------------------------------------------------------
# Payments: added through `payment_record`, never changed; allocated oldest first by an action


class UnappliedFilter(admin.SimpleListFilter):
    title = "credit left"
    parameter_name = "unapplied"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Unapplied credit left"), ("no", "Used up")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(unapplied_amount__gt=0)
        if self.value() == "no":
            return queryset.filter(unapplied_amount=0)
        return queryset


class PaymentAddForm(forms.ModelForm):
    """Money received, recorded by `payment_record` (which checks what this form cannot)."""

    method = forms.ChoiceField(choices=[(m, PaymentMethod(m).label) for m in CASH_METHODS])
    allocate_oldest = forms.BooleanField(required=False, initial=True, label="Allocate oldest first",
                                         help_text="Apply it at once to the customer's open invoices, oldest due "
                                                   "first; what is left stays as the customer's credit.")

    class Meta:
        model = Payment
        fields = ["customer", "amount", "currency", "method", "received_date", "reference", "bank_transaction_id",
                  "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "currency" in self.fields:  # the add page (a recorded payment is read-only)
            self.fields["currency"].required = False
            self.fields["currency"].initial = ""
            self.fields["currency"].help_text = "Empty: the customer's currency."

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()  # empty: `payment_record` takes the customer's


class AllocationInline(ReadOnlyInline):
    model = Allocation
    fields = readonly_fields = ["invoice", "amount", "discount_amount", "date", "created_by", "created_at"]
    verbose_name_plural = "allocations"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Allocation]:
        return super().get_queryset(request).select_related("invoice", "created_by")


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = readonly_fields = ["amount", "date", "reference", "created_by", "created_at"]
    verbose_name_plural = "refunds"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Refund]:
        return super().get_queryset(request).select_related("created_by")


PAYMENT_FIELDS = ["number", "customer", "currency", "amount", "allocated_amount", "refunded_amount",
                  "unapplied_amount", "method", "received_date", "reference", "bank_transaction_id", "credit_note",
                  "note", "app_page", "created_by", "created_at", "updated_at", "history"]


@admin.register(Payment)
class PaymentAdmin(History, DomainErrorsAsMessages):
    form = PaymentAddForm
    list_display = ["number", "customer", "received_date", "method", "paid", "allocated_amount", "unapplied_amount",
                    "reference"]
    list_select_related = ["customer"]
    list_filter = ["method", UnappliedFilter, "currency", "received_date"]
    search_fields = ["number", "reference", "bank_transaction_id", "customer__number", "customer__legal_name"]
    date_hierarchy = "received_date"
    show_full_result_count = False
    autocomplete_fields = ["customer"]
    inlines = [AllocationInline, RefundInline]
    actions = ["allocate_oldest"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payment]:
        return super().get_queryset(request).select_related("customer", "created_by", "credit_note")

    def get_fields(self, request: HttpRequest, obj: Payment | None = None) -> list[str]:
        return [*PaymentAddForm.Meta.fields, "allocate_oldest"] if obj is None else PAYMENT_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Payment | None = None) -> list[str]:
        return [] if obj is None else PAYMENT_FIELDS

    def get_inlines(self, request: HttpRequest, obj: Payment | None) -> list[type[admin.options.InlineModelAdmin]]:
        return [] if obj is None else [AllocationInline, RefundInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(APPLY_CASH) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False  # amounts move only through allocation and refund

    def has_delete_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False

    def has_apply_cash_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(APPLY_CASH)

    def save_model(self, request: HttpRequest, obj: Payment, form: forms.ModelForm, change: bool) -> None:
        saved = payment_record(
            customer_id=obj.customer_id, amount=obj.amount, method=obj.method, received_date=obj.received_date,
            currency=obj.currency or None, reference=obj.reference, bank_transaction_id=obj.bank_transaction_id,
            note=obj.note, actor=request.user)
        if form.cleaned_data.get("allocate_oldest"):  # the admin's save is one transaction: both or neither
            payment_allocate_oldest(payment_id=saved.pk, actor=request.user)
            saved.refresh_from_db()
        copy_saved(obj, saved)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        pass  # the inlines are read-only: the service wrote what belongs to the payment

    @admin.action(description="Allocate oldest first: apply the unapplied credit to the customer's open invoices",
                  permissions=["apply_cash"])
    def allocate_oldest(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        run_each(self, request, queryset, "Allocated",
                 lambda p: None if payment_allocate_oldest(payment_id=p.pk, actor=request.user)
                 else "nothing to allocate (no credit left, or no open invoice).")

    @admin.display(description="amount", ordering="amount")
    def paid(self, obj: Payment) -> str:
        return f"{obj.amount} {obj.currency}"

    @admin.display(description="in the app")
    def app_page(self, obj: Payment) -> str:
        return app_link("receivables:payment-detail", obj.pk, f"Payment {obj.number}")


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["payment", "invoice", "customer", "amount", "discount_amount", "date"]
    list_select_related = ["payment__customer", "invoice"]
    list_filter = ["date"]
    search_fields = ["payment__number", "invoice__number", "payment__customer__number",
                     "payment__customer__legal_name"]
    date_hierarchy = "date"
    show_full_result_count = False

    @admin.display(description="customer", ordering="payment__customer__legal_name")
    def customer(self, obj: Allocation) -> str:
        return str(obj.payment.customer)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["payment", "customer", "amount", "date", "reference", "created_by"]
    list_select_related = ["payment__customer", "created_by"]
    list_filter = ["date"]
    search_fields = ["payment__number", "reference", "payment__customer__number", "payment__customer__legal_name"]
    date_hierarchy = "date"

    @admin.display(description="customer", ordering="payment__customer__legal_name")
    def customer(self, obj: Refund) -> str:
        return str(obj.payment.customer)


@admin.register(WriteOff)
class WriteOffAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "customer", "amount", "reason", "date", "created_by"]
    list_select_related = ["invoice__customer", "created_by"]
    list_filter = ["reason", "date"]
    search_fields = ["invoice__number", "invoice__customer__number", "invoice__customer__legal_name", "note"]
    date_hierarchy = "date"

    @admin.display(description="customer", ordering="invoice__customer__legal_name")
    def customer(self, obj: WriteOff) -> str:
        return str(obj.invoice.customer)


# ---------------------------------------------------------------------------------------------
# Bank statements: imported in the app (or the API), read-only here; queued lines ignored by an action


class StatementLineInline(ReadOnlyInline):
    model = BankStatementLine
    fields = readonly_fields = ["position", "booking_date", "direction", "amount", "currency", "counterparty_name",
                                "remittance", "status", "match_rule", "payment"]
    verbose_name_plural = "lines"

    def get_queryset(self, request: HttpRequest) -> QuerySet[BankStatementLine]:
        return super().get_queryset(request).select_related("payment")


@admin.register(BankStatement)
class BankStatementAdmin(History, ReadOnlyAdmin):
    list_display = ["statement_ref", "format", "account_iban", "from_date", "to_date", "line_count", "credit_count",
                    "auto_matched_count", "duplicate_count", "imported_at"]
    list_filter = ["format", "currency", "imported_at"]
    search_fields = ["statement_ref", "filename", "account_iban", "sha256"]
    date_hierarchy = "imported_at"
    fields = readonly_fields = ["format", "account_iban", "statement_ref", "filename", "sha256", "currency",
                                "opening_balance", "closing_balance", "from_date", "to_date", "line_count",
                                "credit_count", "duplicate_count", "auto_matched_count", "imported_by", "imported_at",
                                "app_page", "history"]
    inlines = [StatementLineInline]

    @admin.display(description="in the app")
    def app_page(self, obj: BankStatement) -> str:
        return app_link("receivables:statement-detail", obj.pk, f"Statement {obj.statement_ref}")


@admin.register(BankStatementLine)
class BankStatementLineAdmin(History, ReadOnlyAdmin):
    list_display = ["booking_date", "statement", "position", "direction", "amount", "currency", "counterparty_name",
                    "status", "match_rule", "payment"]
    list_select_related = ["statement", "payment"]
    list_filter = ["status", "direction", "is_reversal", "match_rule", "booking_date"]
    search_fields = ["bank_transaction_id", "counterparty_name", "counterparty_iban", "remittance",
                     "statement__statement_ref", "payment__number"]
    date_hierarchy = "booking_date"
    show_full_result_count = False
    fields = readonly_fields = ["statement", "position", "bank_transaction_id", "booking_date", "value_date",
                                "direction", "is_reversal", "amount", "currency", "counterparty_name",
                                "counterparty_iban", "remittance", "status", "match_rule", "payment", "matched_by",
                                "matched_at", "history"]
    actions = ["ignore", "unignore"]

    def has_apply_cash_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(APPLY_CASH)

    @admin.action(description="Ignore: take the selected lines out of the reconciliation queue",
                  permissions=["apply_cash"])
    def ignore(self, request: HttpRequest, queryset: QuerySet[BankStatementLine]) -> TemplateResponse | None:
        queued = queryset.filter(status=LineStatus.UNMATCHED)
        if not queued.exists():
            self.message_user(request, "None of the selected lines waits in the reconciliation queue.", messages.INFO)
            return None
        note = ask_reason(self, request, queued, action="ignore", title="Why are these lines not payments?")
        if not isinstance(note, str):
            return note
        run_each(self, request, queued, "Ignored",
                 lambda line: statement_line_ignore(line_id=line.pk, note=note, actor=request.user))
        return None

    @admin.action(description="Put the selected ignored lines back in the reconciliation queue",
                  permissions=["apply_cash"])
    def unignore(self, request: HttpRequest, queryset: QuerySet[BankStatementLine]) -> None:
        run_each(self, request, queryset, "Back in the queue",
                 lambda line: statement_line_unignore(line_id=line.pk, actor=request.user))


class CustomerBankAccountForm(forms.ModelForm):
    class Meta:
        model = CustomerBankAccount
        fields = ["customer", "iban", "name"]

    def clean_iban(self) -> str:
        return "".join((self.cleaned_data.get("iban") or "").split()).upper()


@admin.register(CustomerBankAccount)
class CustomerBankAccountAdmin(History):
    """The accounts customers pay from: statement lines from them are matched to the customer."""

    form = CustomerBankAccountForm
    list_display = ["iban", "customer", "name", "created_by", "created_at"]
    list_select_related = ["customer", "created_by"]
    search_fields = ["iban", "name", "customer__number", "customer__legal_name"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["created_by", "created_at", "history"]

    def save_model(self, request: HttpRequest, obj: CustomerBankAccount, form: forms.ModelForm, change: bool) -> None:
        before = field_values(CustomerBankAccount.objects.get(pk=obj.pk), form.Meta.fields) if change else {}
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        audit_record(obj=obj, action="updated" if change else "created", actor=request.user,
                     data=field_changes(before, obj) if change else {"iban": obj.iban, "customer": obj.customer_id})

    def delete_model(self, request: HttpRequest, obj: CustomerBankAccount) -> None:
        audit_record(obj=obj, action="deleted", actor=request.user, data={"iban": obj.iban,
                                                                          "customer": obj.customer_id})
        super().delete_model(request, obj)



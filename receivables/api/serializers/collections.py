"""Aging, ledger, KPIs, reminders, disputes and the invoice actions: in and out."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from o2c.api.base import Money
from orders.api.serializers import BuiltOnce

from ...enums import AgingBucket, DisputeReason, DisputeStatus, WriteOffReason
from ...models import Dispute, PromiseToPay, Reminder, ReminderLog, WriteOff
from .common import MAX_NOTE, MONEY, Id, InputMoney, OnlyFields

# --- aging, ledger, KPIs --------------------------------------------------------------------------


AgingBucketsSerializer = serializers.SerializerMetaclass("AgingBucketsSerializer", (serializers.Serializer,), {
    "__doc__": "Outstanding per bucket of days past due: current (not yet due), 1–30, 31–60, 61–90, 90+.",
    **{bucket.value: Money(help_text=f"{bucket.label} days past due." if bucket != AgingBucket.CURRENT
                           else "Not yet due (or due today).") for bucket in AgingBucket},
})


class AgingRowSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer_id", allow_null=True, help_text="null in the totals.")
    customer_number = serializers.CharField()
    customer_name = serializers.CharField()
    currency = serializers.CharField()
    invoices = serializers.IntegerField(help_text="Open invoices counted.")
    buckets = AgingBucketsSerializer()
    total = Money()
    overdue = Money(help_text="total − current.")


class AgingSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    rows = AgingRowSerializer(many=True, help_text="Per customer and currency, the largest total first.")
    totals = serializers.SerializerMethodField(help_text="The company's, one row per currency.")

    @extend_schema_field(AgingRowSerializer(many=True))
    def get_totals(self, report: Any) -> list[dict[str, Any]]:
        return AgingRowSerializer([report.totals[c] for c in sorted(report.totals)], many=True).data


class AgingItemSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="invoice_id")
    number = serializers.CharField()
    customer = serializers.IntegerField(source="customer_id")
    customer_number = serializers.CharField()
    customer_name = serializers.CharField()
    currency = serializers.CharField()
    issue_date = serializers.DateField()
    due_date = serializers.DateField()
    gross_total = Money()
    outstanding = Money(help_text="What the invoice owed on `as_of`.")
    days_overdue = serializers.IntegerField(help_text="as_of − due date (0 or less: not yet due).")
    bucket = serializers.ChoiceField(choices=AgingBucket.choices)
    status = serializers.CharField(help_text="The invoice's status now.")


class AgingInvoicesSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    bucket = serializers.ChoiceField(choices=AgingBucket.choices, allow_null=True)
    invoices = AgingItemSerializer(many=True, help_text="The most overdue first.")


class AgingQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="The day (default today); a past day is rebuilt from the "
                                                           "documents' dates.")
    customer = Id(required=False, help_text="One customer's aging.")
    invoices = serializers.BooleanField(required=False, default=False,
                                        help_text="true: the open invoices behind the aging (the drill-down).")
    bucket = serializers.ChoiceField(choices=AgingBucket.choices, required=False,
                                     help_text="With `invoices=true`: only this bucket's invoices.")


class LedgerEntrySerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=["opening", "invoice", "credit_note", "payment", "discount", "write_off",
                                            "refund"])
    number = serializers.CharField(help_text="The document's number (for a discount or write-off: the invoice's).")
    description = serializers.CharField()
    debit = Money(help_text="What the customer owes more.")
    credit = Money(help_text="What the customer owes less.")
    balance = Money(help_text="Running balance: owed less the customer's credit.")
    document = serializers.IntegerField(source="url_id", allow_null=True,
                                        help_text="The id of the invoice, credit note or payment.")


class LedgerSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer.pk")
    customer_number = serializers.CharField(source="customer.number")
    customer_name = serializers.CharField(source="customer.legal_name")
    currency = serializers.CharField(source="customer.currency")
    open_balance = Money(source="customer.open_balance", help_text="Σ amount due of its open invoices.")
    credit = Money(help_text="Σ unapplied of its payments: to apply or refund.")
    credit_hold = serializers.BooleanField(source="customer.credit_hold")
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    entries = LedgerEntrySerializer(many=True)


class LedgerQuerySerializer(serializers.Serializer):
    since = serializers.DateField(required=False, help_text="From this day, after a balance brought forward.")
    until = serializers.DateField(required=False, help_text="Up to this day.")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise serializers.ValidationError({"until": ["On or after `since`."]})
        return data


class TrendPointSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="A month's last day (the current month: as_of).")
    ar = Money(help_text="Accounts receivable that day.")
    sales_90 = Money(help_text="Credit sales of the 90 days up to it.")
    dso = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)


@extend_schema_serializer(many=False)  # one object, answered by a `list` route
class KpisSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currency = serializers.CharField()
    open_ar = Money(help_text="What issued invoices owe.")
    overdue_ar = Money(help_text="Of it, past the due date.")
    overdue_percent = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    credit_sales_90 = Money()
    dso = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True,
                                   help_text="Days sales outstanding, sales method: AR ÷ credit sales of 90 days × 90.")
    cei = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True,
                                   help_text="Collection effectiveness index over 30 days, %.")
    average_days_to_pay = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)
    average_days_late = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)
    unapplied_credit = Money()
    open_disputes = serializers.IntegerField()
    dso_trend = TrendPointSerializer(many=True, help_text="DSO at each month's end, oldest first.")


class KpisQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="Default today.")
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False, help_text="Default the company's currency.")
    months = serializers.IntegerField(required=False, default=12, min_value=1, max_value=36,
                                      help_text="Months of the DSO trend.")


# --- reminders ------------------------------------------------------------------------------------


class ReminderLogSerializer(BuiltOnce, serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    due_date = serializers.DateField(source="invoice.due_date", read_only=True)

    class Meta:
        model = ReminderLog
        fields = ["invoice", "invoice_number", "due_date", "level", "amount_due", "days_overdue", "interest",
                  "compensation", "sent_on"]
        read_only_fields = fields


class ReminderListSerializer(BuiltOnce, serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.legal_name", read_only=True)
    total = serializers.SerializerMethodField(help_text="total_due + interest + compensation + fee.")

    class Meta:
        model = Reminder
        fields = ["id", "customer", "customer_number", "customer_name", "level", "run_date", "currency", "total_due",
                  "fee", "interest", "compensation", "total", "manual", "email_to", "sent_at", "created_at"]
        read_only_fields = fields
        extra_kwargs = {"sent_at": {"help_text": "When it was e-mailed (after commit, by the worker); null: not yet "
                                                 "or no contact."}}

    @extend_schema_field(Money())
    def get_total(self, reminder: Reminder) -> str:
        return MONEY.to_representation(reminder.total_due + reminder.interest + reminder.compensation + reminder.fee)


class ReminderSerializer(ReminderListSerializer):
    logs = ReminderLogSerializer(many=True, read_only=True, help_text="The invoices it reminded.")

    class Meta(ReminderListSerializer.Meta):
        fields = [*ReminderListSerializer.Meta.fields, "logs"]
        read_only_fields = fields


class ReminderQuerySerializer(serializers.Serializer):
    customer = Id(required=False, help_text="The customer's id.")
    level = serializers.IntegerField(required=False, min_value=1, max_value=32767)
    date = serializers.DateField(required=False, help_text="Sent on this day (run date).")
    date_from = serializers.DateField(required=False, help_text="Run on or after this day.")
    date_to = serializers.DateField(required=False, help_text="Run on or before this day.")


class PreviewQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="The run's day (default tomorrow).")
    customer = Id(required=False, help_text="Only this customer's reminders.")


class PlannedLineSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="invoice.pk")
    number = serializers.CharField()
    due_date = serializers.DateField()
    days_overdue = serializers.IntegerField()
    amount_due = Money()
    interest = Money()
    compensation = Money()
    total = Money()


class TotalsSerializer(serializers.Serializer):
    amount_due = Money()
    interest = Money()
    compensation = Money()
    fee = Money()
    total = Money()


class PlannedReminderSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer.pk")
    customer_number = serializers.CharField(source="customer.number")
    customer_name = serializers.CharField(source="customer.legal_name")
    level = serializers.IntegerField(source="level.level")
    days_after_due = serializers.IntegerField(source="level.days_after_due")
    currency = serializers.CharField()
    run_date = serializers.DateField()
    totals = TotalsSerializer()
    invoices = PlannedLineSerializer(many=True, source="lines")


class ReminderPreviewSerializer(serializers.Serializer):
    date = serializers.DateField()
    reminders = PlannedReminderSerializer(many=True)


class ReminderRunSerializer(serializers.Serializer):
    date = serializers.DateField()
    sent = serializers.IntegerField(help_text="Reminders written (each e-mailed after commit).")
    reminders = ReminderListSerializer(many=True)


# --- disputes -------------------------------------------------------------------------------------


class DisputeSerializer(BuiltOnce, serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.legal_name", read_only=True)
    currency = serializers.CharField(source="invoice.currency", read_only=True)
    owner_name = serializers.CharField(source="owner.username", read_only=True, allow_null=True)
    credit_note_number = serializers.CharField(source="credit_note.number", read_only=True, allow_null=True)
    opened_by = serializers.CharField(source="opened_by.username", read_only=True, allow_null=True)
    resolved_by = serializers.CharField(source="resolved_by.username", read_only=True, allow_null=True)

    class Meta:
        model = Dispute
        fields = ["id", "invoice", "invoice_number", "customer", "customer_number", "customer_name", "currency",
                  "reason", "amount", "note", "owner", "owner_name", "status", "credit_note", "credit_note_number",
                  "resolution_note", "opened_by", "opened_at", "resolved_by", "resolved_at"]
        read_only_fields = fields


class DisputeQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DisputeStatus.choices, required=False)
    reason = serializers.ChoiceField(choices=DisputeReason.choices, required=False)
    customer = Id(required=False, help_text="The customer's id.")
    invoice = Id(required=False, help_text="The invoice's id.")
    owner = Id(required=False, help_text="The owner's user id.")


class DisputeCreateSerializer(serializers.Serializer):
    invoice = Id(help_text="An open (issued or partially paid) invoice without an open dispute.")
    reason = serializers.ChoiceField(choices=DisputeReason.choices)
    amount = InputMoney(help_text="The part disputed: at most what the invoice owes.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    owner = Id(required=False, allow_null=True, help_text="The user who follows it up.")


class DisputeUpdateSerializer(OnlyFields):
    """PATCH of an open dispute: its note and its owner, nothing else."""

    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    owner = Id(required=False, allow_null=True, help_text="null: nobody.")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data:
            raise serializers.ValidationError("Give the `note` or the `owner` to change.")
        return data


class DisputeResolveSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_NOTE)
    amount = InputMoney(required=False, allow_null=True,
                        help_text="What to credit; the disputed amount when left out.")


class DisputeRejectSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000, help_text="Why the dispute is rejected.")


# --- invoice actions ------------------------------------------------------------------------------


class WriteOffSerializer(BuiltOnce, serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = WriteOff
        fields = ["id", "invoice", "invoice_number", "amount", "reason", "note", "date", "created_at"]
        read_only_fields = fields


class WriteOffInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=WriteOffReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class PromiseToPaySerializer(BuiltOnce, serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = PromiseToPay
        fields = ["id", "invoice", "invoice_number", "promised_date", "amount", "note", "created_at"]
        read_only_fields = fields


class PromiseInputSerializer(serializers.Serializer):
    promised_date = serializers.DateField(help_text="Today or later: no reminders for the invoice until then.")
    amount = InputMoney(required=False, allow_null=True, help_text="At most what the invoice owes; left out: all.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class RemindInputSerializer(serializers.Serializer):
    level = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=32767,
                                     help_text="The level; left out: the next one not yet sent for the invoice.")

"""Payments (record, allocate, refund) and bank statements (upload, lines, the queue): in and out."""

from __future__ import annotations

from rest_framework import serializers

from o2c.api.base import Money
from orders.api.serializers import BuiltOnce

from ...enums import CASH_METHODS, LineStatus, PaymentMethod
from ...models import (
    Allocation,
    BankStatement,
    BankStatementLine,
    Payment,
    Refund,
)
from .common import MAX_ALLOCATIONS, MAX_NOTE, Allocations, Id, InputMoney

# --- payments -------------------------------------------------------------------------------------


class PaymentAllocationSerializer(BuiltOnce, serializers.ModelSerializer):
    """Part of the payment applied to an invoice, with the early-payment discount it earned."""

    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    settled = Money(read_only=True, help_text="amount + discount_amount: what the invoice's amount due dropped by.")

    class Meta:
        model = Allocation
        fields = ["id", "invoice", "invoice_number", "amount", "discount_amount", "settled", "date", "created_at"]
        read_only_fields = fields


class RefundSerializer(BuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "date", "reference", "created_at"]
        read_only_fields = fields


class PaymentListSerializer(BuiltOnce, serializers.ModelSerializer):
    """A payment without its allocations: what a list shows."""

    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.legal_name", read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "number", "customer", "customer_number", "customer_name", "currency", "amount",
                  "allocated_amount", "refunded_amount", "unapplied_amount", "method", "received_date", "reference",
                  "bank_transaction_id", "credit_note", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "number": {"help_text": "PAY-YYYY-NNNNNN, drawn when the payment is recorded."},
            "unapplied_amount": {"help_text": "The customer's credit: amount − allocated − refunded."},
            "credit_note": {"help_text": "For method `credit_note`: the credit note whose leftover credit this is."},
            "bank_transaction_id": {"help_text": "The bank's id of the transaction: one payment per id."},
        }


class PaymentSerializer(PaymentListSerializer):
    """A payment with its allocations, refunds and the bank statement line it came from."""

    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    statement_line = serializers.SerializerMethodField(help_text="The bank statement line matched to it, if any.")
    allocations = PaymentAllocationSerializer(many=True, read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta(PaymentListSerializer.Meta):
        fields = [*PaymentListSerializer.Meta.fields, "note", "created_by", "updated_at", "statement_line",
                  "allocations", "refunds"]
        read_only_fields = fields

    def get_statement_line(self, payment: Payment) -> int | None:
        line = getattr(payment, "statement_line", None)  # a reverse one-to-one: absent raises, getattr says None
        return line.pk if line is not None else None


class PaymentQuerySerializer(serializers.Serializer):
    """The filters of the payment list."""

    customer = Id(required=False, help_text="The customer's id.")
    method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)
    received_from = serializers.DateField(required=False, help_text="Received on or after this day.")
    received_to = serializers.DateField(required=False, help_text="Received on or before this day.")
    unapplied = serializers.BooleanField(required=False, allow_null=True, default=None,
                                         help_text="true: payments with credit left to apply or refund; false: "
                                                   "those used up.")
    search = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                   help_text="Part of the number, the reference or the customer's name, or the exact "
                                             "bank transaction id.")


class PaymentCreateSerializer(serializers.Serializer):
    """Money received: recorded, and applied to the `allocations` given; the rest is the customer's credit."""

    customer = Id(help_text="The customer's id.")
    amount = InputMoney()
    method = serializers.ChoiceField(choices=[(m, PaymentMethod(m).label) for m in CASH_METHODS])
    received_date = serializers.DateField(help_text="Today or earlier.")
    currency = serializers.CharField(required=False, max_length=3, min_length=3,
                                     help_text="The customer's currency (the default).")
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=300,
                                      help_text="Remittance text, cheque number, …")
    bank_transaction_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None,
                                                max_length=120, help_text="The bank's id: a second payment with it "
                                                                          "is refused (409).")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_NOTE)
    allocations = Allocations(required=False, help_text="Invoices to apply the payment to now.")


class AllocateInputSerializer(serializers.Serializer):
    allocations = Allocations(min_length=1)


class AllocateOldestInputSerializer(serializers.Serializer):
    invoices = serializers.ListField(child=Id(), required=False, allow_empty=False, max_length=MAX_ALLOCATIONS,
                                     help_text="Only these invoices (ids); left out: all the customer's open ones.")


class RefundInputSerializer(serializers.Serializer):
    amount = InputMoney(help_text="At most what the payment has unapplied.")
    date = serializers.DateField(required=False, allow_null=True, help_text="Today when left out.")
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


# --- bank statements ------------------------------------------------------------------------------


class BankStatementLineSerializer(BuiltOnce, serializers.ModelSerializer):
    """A line of a statement: money in (credit) or out (debit), and what became of it."""

    statement_ref = serializers.CharField(source="statement.statement_ref", read_only=True)
    payment_number = serializers.CharField(source="payment.number", read_only=True, allow_null=True)
    customer = serializers.IntegerField(source="payment.customer_id", read_only=True, allow_null=True,
                                        help_text="The customer of its payment.")

    class Meta:
        model = BankStatementLine
        fields = ["id", "statement", "statement_ref", "position", "bank_transaction_id", "booking_date",
                  "value_date", "direction", "is_reversal", "amount", "currency", "counterparty_name",
                  "counterparty_iban", "remittance", "status", "match_rule", "payment", "payment_number",
                  "customer", "matched_at"]
        read_only_fields = fields
        extra_kwargs = {
            "amount": {"help_text": "Positive; `direction` says which way."},
            "status": {"help_text": "unmatched: waits in the reconciliation queue; matched: a payment; ignored: "
                                    "taken out of the queue; shown: a debit or reversal, never a payment."},
        }


class BankStatementListSerializer(BuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = BankStatement
        fields = ["id", "format", "account_iban", "statement_ref", "filename", "currency", "opening_balance",
                  "closing_balance", "from_date", "to_date", "line_count", "credit_count", "duplicate_count",
                  "auto_matched_count", "sha256", "imported_at"]
        read_only_fields = fields


class StatementLineInStatementSerializer(BankStatementLineSerializer):
    class Meta(BankStatementLineSerializer.Meta):
        fields = [f for f in BankStatementLineSerializer.Meta.fields if f not in ("statement", "statement_ref")]
        read_only_fields = fields


class BankStatementSerializer(BankStatementListSerializer):
    imported_by = serializers.CharField(source="imported_by.username", read_only=True, allow_null=True)
    lines = StatementLineInStatementSerializer(many=True, read_only=True)

    class Meta(BankStatementListSerializer.Meta):
        fields = [*BankStatementListSerializer.Meta.fields, "imported_by", "lines"]
        read_only_fields = fields


class StatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A CAMT.053 (XML), MT940 or statement CSV file.")


class StatementImportSerializer(serializers.Serializer):
    """What an upload did: for a file imported before (`created` false), that statement and nothing written."""

    created = serializers.BooleanField(help_text="false: this file or statement was imported before.")
    lines = serializers.IntegerField(help_text="Lines of the statement.")
    auto_matched = serializers.IntegerField(help_text="Credit lines matched to invoices automatically.")
    unmatched = serializers.IntegerField(help_text="Credit lines waiting in the reconciliation queue.")
    duplicates = serializers.IntegerField(help_text="Lines already imported from another file (skipped).")
    statement = BankStatementSerializer()


class StatementLineQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=LineStatus.choices, required=False,
                                     help_text="`unmatched`: the reconciliation queue.")
    statement = Id(required=False, help_text="The statement's id.")


class LineMatchInputSerializer(serializers.Serializer):
    customer = Id(help_text="Whose money it is: a payment of the line's amount is recorded for the customer.")
    allocations = Allocations(required=False, help_text="Invoices to apply it to; left out: it waits as the "
                                                        "customer's credit.")


class SuggestionSerializer(serializers.Serializer):
    """An open invoice the line may pay, and why (`match_suggestions`)."""

    invoice = serializers.IntegerField(source="invoice.pk")
    invoice_number = serializers.CharField(source="invoice.number")
    customer = serializers.IntegerField(source="customer.pk")
    customer_number = serializers.CharField(source="customer.number")
    customer_name = serializers.CharField(source="customer.legal_name")
    currency = serializers.CharField(source="invoice.currency")
    amount_due = Money(source="invoice.amount_due")
    due_date = serializers.DateField(source="invoice.due_date")
    score = serializers.IntegerField(help_text="0–100: how sure the suggestion is.")
    reasons = serializers.ListField(child=serializers.CharField())


class LineIgnoreInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, help_text="Why the line is not a customer's payment.")

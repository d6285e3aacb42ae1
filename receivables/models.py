"""Receivables: payments and their allocations, bank statements, reminders, disputes.

The amounts finance trusts are kept in step by the services, with locks, and guarded by CHECKs:
    payment.amount = allocated + refunded + unapplied          (each ≥ 0)
    invoice.paid_amount = Σ allocation (cash + discount) + Σ write-offs   (billing's column, ours to keep)
    invoice.amount_due = gross − credited − paid ≥ 0
    customer.open_balance = Σ amount_due of its open invoices; its credit is Σ unapplied of its payments.
Exactly once: a bank transaction id is one statement line and one payment (UNIQUE); a statement
file is imported once (its SHA-256 and its (account, statement id) are UNIQUE); a reminder level is
sent once per invoice (UNIQUE(invoice, level)); a monthly statement once per customer and month.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from billing.models import CreditNote, Invoice
from o2c.money import CurrencyField, MoneyField
from orders.models import Customer

from .enums import (
    Direction,
    DisputeReason,
    DisputeStatus,
    LineStatus,
    MatchRule,
    PaymentMethod,
    StatementFormat,
    WriteOffReason,
)

USER = settings.AUTH_USER_MODEL
# record, allocate and refund payments; import statements, match and ignore their lines
APPLY_CASH = "receivables.apply_cash"


class Payment(models.Model):
    number = models.CharField(max_length=30, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    currency = CurrencyField()
    amount = MoneyField()
    allocated_amount = MoneyField(default=0, editable=False)
    refunded_amount = MoneyField(default=0, editable=False)
    unapplied_amount = MoneyField(default=0, editable=False, help_text="The customer's credit: not yet applied.")
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    received_date = models.DateField()
    reference = models.CharField(max_length=300, blank=True, help_text="Remittance text, cheque number, …")
    bank_transaction_id = models.CharField(max_length=120, null=True, blank=True, unique=True,
                                           help_text="The bank's id of the transaction; a payment per id.")
    credit_note = models.OneToOneField(CreditNote, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="customer_credit_payment", editable=False,
                                       help_text="For a credit note's credit: the credit note.")
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_date", "-id"]
        indexes = [
            models.Index(fields=["customer", "received_date"], name="payment_by_customer"),
            # cash received per week (the cash forecast's past weeks)
            models.Index(fields=["received_date"], include=["amount", "currency", "method"], name="payment_by_date"),
            models.Index(fields=["customer"], name="payment_unapplied", condition=Q(unapplied_amount__gt=0)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(allocated_amount__gte=0, refunded_amount__gte=0,
                                               unapplied_amount__gte=0), name="payment_parts_not_negative"),
            models.CheckConstraint(
                condition=Q(amount=F("allocated_amount") + F("refunded_amount") + F("unapplied_amount")),
                name="payment_allocated_refunded_unapplied_is_amount"),
            models.CheckConstraint(condition=Q(method="credit_note", credit_note__isnull=False)
                                   | (~Q(method="credit_note") & Q(credit_note__isnull=True)),
                                   name="payment_credit_note_iff_method"),
        ]
        permissions = [("apply_cash", "Can record, allocate and refund payments and import bank statements")]

    def __str__(self) -> str:
        return self.number


class Allocation(models.Model):
    """Part of a payment applied to an invoice, with the early-payment discount it earned."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = MoneyField(help_text="Taken from the payment.")
    discount_amount = MoneyField(default=0, help_text="Early-payment discount granted with it.")
    date = models.DateField(help_text="When the invoice counts as paid by it (the later of received and issued).")
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["invoice", "date"], name="allocation_by_invoice"),
                   models.Index(fields=["date"], name="allocation_by_date")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0, discount_amount__gte=0)
                                   & (Q(amount__gt=0) | Q(discount_amount__gt=0)),
                                   name="allocation_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"

    @property
    def settled(self) -> Decimal:
        return self.amount + self.discount_amount


class Refund(models.Model):
    """Customer credit paid back (recorded here; the transfer itself is made in the bank)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = MoneyField()
    date = models.DateField()
    reference = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"refund {self.amount} of {self.payment}"


class WriteOff(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="write_offs")
    amount = MoneyField()
    reason = models.CharField(max_length=16, choices=WriteOffReason.choices)
    note = models.CharField(max_length=500, blank=True)
    date = models.DateField()
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="writeoff_amount_positive")]

    def __str__(self) -> str:
        return f"write-off {self.amount} of {self.invoice}"


class BankStatement(models.Model):
    format = models.CharField(max_length=8, choices=StatementFormat.choices)
    account_iban = models.CharField("account IBAN", max_length=34, blank=True)
    statement_ref = models.CharField("statement id", max_length=120)
    sha256 = models.CharField(max_length=64, unique=True, help_text="Of the file: the same file imports once.")
    filename = models.CharField(max_length=200)
    currency = CurrencyField()
    opening_balance = MoneyField(null=True, blank=True)
    closing_balance = MoneyField(null=True, blank=True)
    from_date = models.DateField(null=True, blank=True)
    to_date = models.DateField(null=True, blank=True)
    line_count = models.PositiveIntegerField(default=0)
    credit_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0, help_text="Lines already imported from another file.")
    auto_matched_count = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["account_iban", "statement_ref"], name="statement_once")]

    def __str__(self) -> str:
        return f"{self.statement_ref} ({self.get_format_display()})"


class BankStatementLine(models.Model):
    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    bank_transaction_id = models.CharField(max_length=120, unique=True,
                                           help_text="The bank's reference, or a key derived from the line.")
    booking_date = models.DateField()
    value_date = models.DateField(null=True, blank=True)
    direction = models.CharField(max_length=6, choices=Direction.choices)
    is_reversal = models.BooleanField(default=False)
    amount = MoneyField(help_text="Positive; the direction says which way.")
    currency = CurrencyField()
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_iban = models.CharField(max_length=34, blank=True)
    remittance = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=LineStatus.choices, default=LineStatus.UNMATCHED)
    match_rule = models.CharField(max_length=20, choices=MatchRule.choices, blank=True)
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="statement_line")
    matched_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["statement_id", "position"]
        indexes = [models.Index(fields=["booking_date"], name="statementline_queue",
                                condition=Q(status="unmatched"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="statementline_amount_positive"),
            models.CheckConstraint(condition=~Q(status="matched") | Q(payment__isnull=False),
                                   name="statementline_matched_has_payment"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.direction} {self.amount} {self.currency}"


class DunningPolicy(models.Model):
    """When reminders go out and what they charge. Defaults follow EU Directive 2011/7/EU: interest at
    the reference rate + 8 points a year, simple, from the day after the due date, and a fixed EUR 40
    compensation per late invoice."""

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    reference_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0,
                                         help_text="The central bank's reference rate, % a year (ECB: 2.15 in 2026).")
    interest_points = models.DecimalField(max_digits=5, decimal_places=2, default=8,
                                          help_text="Points above the reference rate (2011/7: at least 8).")
    compensation_amount = MoneyField(default=40, help_text="Fixed compensation per late invoice (2011/7: EUR 40).")
    credit_hold_days = models.PositiveSmallIntegerField(
        null=True, blank=True, default=60,
        help_text="A customer with an invoice more than this many days overdue goes on credit hold; empty: never.")
    write_off_limit = MoneyField(default=5, help_text="Residual balances up to this amount may be written off.")

    class Meta:
        verbose_name_plural = "dunning policies"
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                               name="dunningpolicy_one_default")]

    def __str__(self) -> str:
        return self.name

    @property
    def interest_rate(self) -> Decimal:
        return self.reference_rate + self.interest_points


class DunningLevel(models.Model):
    policy = models.ForeignKey(DunningPolicy, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField()
    days_after_due = models.PositiveSmallIntegerField()
    subject = models.CharField(max_length=200, help_text="Django template; e.g. Reminder: {{ customer.legal_name }}")
    body = models.TextField(help_text="Django template of the e-mail text; the invoices are listed below it.")
    fee = MoneyField(default=0, help_text="Reminder fee, charged once per reminder e-mail.")
    show_interest = models.BooleanField(default=False, help_text="Show statutory interest and compensation.")

    class Meta:
        ordering = ["policy", "level"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "level"], name="dunninglevel_level"),
            models.UniqueConstraint(fields=["policy", "days_after_due"], name="dunninglevel_days"),
            models.CheckConstraint(condition=Q(level__gte=1), name="dunninglevel_from_one"),
        ]

    def __str__(self) -> str:
        return f"level {self.level} ({self.days_after_due} days)"


class Reminder(models.Model):
    """One e-mail to one customer at one level, listing all its invoices at that level that day."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="reminders")
    level = models.PositiveSmallIntegerField()
    run_date = models.DateField()
    currency = CurrencyField()
    total_due = MoneyField(default=0)
    fee = MoneyField(default=0)
    interest = MoneyField(default=0)
    compensation = MoneyField(default=0)
    email_to = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    manual = models.BooleanField(default=False)
    pdf = models.FileField(upload_to="receivables/reminders/%Y/%m/", blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-run_date", "-id"]
        constraints = [models.UniqueConstraint(fields=["customer", "level", "run_date", "currency"],
                                               name="reminder_once_per_customer_level_day")]

    def __str__(self) -> str:
        return f"level {self.level} to {self.customer} on {self.run_date}"


class ReminderLog(models.Model):
    """An invoice reminded at a level: once, ever (UNIQUE), whoever or whatever sends it."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminder_logs")
    level = models.PositiveSmallIntegerField()
    reminder = models.ForeignKey(Reminder, on_delete=models.PROTECT, related_name="logs")
    amount_due = MoneyField()
    days_overdue = models.IntegerField()
    interest = MoneyField(default=0)
    compensation = MoneyField(default=0)
    sent_on = models.DateField()

    class Meta:
        ordering = ["invoice", "level"]
        constraints = [models.UniqueConstraint(fields=["invoice", "level"], name="reminderlog_once_per_level")]

    def __str__(self) -> str:
        return f"{self.invoice} level {self.level}"


class PromiseToPay(models.Model):
    """The customer said it will pay by a day: no reminders for the invoice until then."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="promises")
    promised_date = models.DateField()
    amount = MoneyField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-promised_date"]
        verbose_name_plural = "promises to pay"

    def __str__(self) -> str:
        return f"{self.invoice} by {self.promised_date}"


class Dispute(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="disputes")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="disputes", editable=False)
    reason = models.CharField(max_length=16, choices=DisputeReason.choices)
    amount = MoneyField(help_text="The part of the invoice disputed.")
    note = models.TextField(blank=True)
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes_owned")
    status = models.CharField(max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN,
                              editable=False)
    credit_note = models.ForeignKey(CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    editable=False)
    resolution_note = models.TextField(blank=True, editable=False)
    opened_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  editable=False)
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice"], condition=Q(status="open"), name="dispute_one_open"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="dispute_amount_positive"),
            models.CheckConstraint(condition=~Q(status="resolved") | Q(credit_note__isnull=False),
                                   name="dispute_resolved_has_credit_note"),
        ]

    def __str__(self) -> str:
        return f"Dispute {self.pk} on {self.invoice}"


class PolicyCreditHold(models.Model):
    """A credit hold the policy put on (so only those are lifted by the policy when paid)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="policy_credit_hold")
    since = models.DateField()
    oldest_due_date = models.DateField()

    def __str__(self) -> str:
        return f"{self.customer} since {self.since}"


class CustomerStatement(models.Model):
    """The monthly statement e-mailed to a customer: once per customer and month."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="statements")
    as_of = models.DateField()
    open_balance = MoneyField()
    email_to = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-as_of", "customer"]
        constraints = [models.UniqueConstraint(fields=["customer", "as_of"], name="statement_once_per_month")]

    def __str__(self) -> str:
        return f"{self.customer} {self.as_of}"


def validate_iban(value: str) -> None:
    """An IBAN with a valid country, length and check digits (spaces allowed)."""
    try:
        IBAN(value)
    except (SchwiftyException, ValueError) as exc:
        raise ValidationError(f"{value!r} is not a valid IBAN ({exc}).", code="invalid_iban") from None


class CustomerBankAccount(models.Model):
    """A bank account a customer pays from: money from this IBAN is the customer's (statement matching).
    Learnt when Finance matches a statement line by hand, or entered in the admin."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="bank_accounts")
    iban = models.CharField("IBAN", max_length=34, unique=True, validators=[validate_iban],
                            help_text="Stored compact (no spaces, upper case).")
    name = models.CharField("account holder", max_length=200, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer", "iban"]
        constraints = [models.CheckConstraint(condition=Q(iban__regex=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"),
                                              name="customerbankaccount_iban_compact")]

    def __str__(self) -> str:
        return f"{self.iban} ({self.customer})"

    def clean(self) -> None:
        self.iban = "".join((self.iban or "").split()).upper()

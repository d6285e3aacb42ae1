"""Receivables codes and the statuses with their allowed transitions."""

from django.db import models


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    CHEQUE = "cheque", "Cheque"
    CASH = "cash", "Cash"
    DIRECT_DEBIT = "direct_debit", "Direct debit"
    # not cash: what a credit note left the customer beyond its invoice, to apply or refund
    CREDIT_NOTE = "credit_note", "Credit note credit"


CASH_METHODS = tuple(m for m in PaymentMethod.values if m != PaymentMethod.CREDIT_NOTE)


class WriteOffReason(models.TextChoices):
    SMALL_BALANCE = "small_balance", "Small residual balance"
    BANK_CHARGES = "bank_charges", "Bank charges deducted by the payer"
    ROUNDING = "rounding", "Rounding difference"
    OTHER = "other", "Other"


class StatementFormat(models.TextChoices):
    CAMT053 = "camt053", "CAMT.053 (ISO 20022)"
    MT940 = "mt940", "MT940 (SWIFT)"
    CSV = "csv", "CSV"


class Direction(models.TextChoices):
    CREDIT = "credit", "Incoming (credit)"
    DEBIT = "debit", "Outgoing (debit)"


class LineStatus(models.TextChoices):
    UNMATCHED = "unmatched", "Waiting in the reconciliation queue"
    MATCHED = "matched", "Matched to a payment"
    IGNORED = "ignored", "Ignored by Finance"
    SHOWN = "shown", "Debit or reversal (shown, not a payment)"


LINE_TRANSITIONS = {
    LineStatus.UNMATCHED: {LineStatus.MATCHED, LineStatus.IGNORED},
    LineStatus.IGNORED: {LineStatus.UNMATCHED},
    LineStatus.MATCHED: set(),
    LineStatus.SHOWN: set(),
}


class MatchRule(models.TextChoices):
    """How a bank line found its payment: what the auto-match rate is counted from."""

    INVOICE_NUMBER = "invoice_number", "Invoice number in the remittance text"
    PAYMENT_REFERENCE = "payment_reference", "Creditor reference (RF…) in the remittance text"
    IBAN_AMOUNT = "iban_amount", "Customer by IBAN, one open invoice of that amount"
    NAME_AMOUNT = "name_amount", "Customer by name, one open invoice of that amount"
    MANUAL = "manual", "Matched by hand"


AUTO_RULES = (MatchRule.INVOICE_NUMBER, MatchRule.PAYMENT_REFERENCE, MatchRule.IBAN_AMOUNT, MatchRule.NAME_AMOUNT)


class DisputeReason(models.TextChoices):
    PRICE = "price", "Price or discount disagreed"
    QUANTITY = "quantity", "Quantity short or over"
    DAMAGED = "damaged", "Goods damaged"
    NOT_RECEIVED = "not_received", "Goods not received"
    QUALITY = "quality", "Quality"
    DUPLICATE = "duplicate", "Billed twice"
    OTHER = "other", "Other"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved by a credit note"
    REJECTED = "rejected", "Rejected"


DISPUTE_TRANSITIONS = {
    DisputeStatus.OPEN: {DisputeStatus.RESOLVED, DisputeStatus.REJECTED},
    DisputeStatus.RESOLVED: set(),
    DisputeStatus.REJECTED: set(),
}


class AgingBucket(models.TextChoices):
    """Days past the due date, as of a day. `current` is not yet due (or due that day)."""

    CURRENT = "current", "Current"
    DAYS_1_30 = "1_30", "1–30"
    DAYS_31_60 = "31_60", "31–60"
    DAYS_61_90 = "61_90", "61–90"
    OVER_90 = "90_plus", "90+"


PAYMENT_SERIES = "PAY"

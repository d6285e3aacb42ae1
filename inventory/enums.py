"""Inventory statuses, kinds and codes, with their allowed transitions."""

from django.db import models


class UnitOfMeasure(models.TextChoices):
    PIECE = "pc", "Piece"
    BOX = "box", "Box"
    KILOGRAM = "kg", "Kilogram"
    METRE = "m", "Metre"
    LITRE = "l", "Litre"
    HOUR = "h", "Hour"


class TaxCategory(models.TextChoices):
    """A code that billing maps to a rate per country."""

    STANDARD = "standard", "Standard rate"
    REDUCED = "reduced", "Reduced rate"
    ZERO = "zero", "Zero rate"
    EXEMPT = "exempt", "Exempt"


class MoveKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    ADJUSTMENT = "adjustment", "Adjustment"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    TRANSFER_IN = "transfer_in", "Transfer in"
    SHIPMENT = "shipment", "Shipment issue"
    RETURN = "return", "Return"
    SCRAP = "scrap", "Scrap"


class ReceiptStatus(models.TextChoices):
    OPEN = "open", "Open"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


RECEIPT_TRANSITIONS = {
    ReceiptStatus.OPEN: {ReceiptStatus.RECEIVED, ReceiptStatus.CANCELLED},
    ReceiptStatus.RECEIVED: set(),
    ReceiptStatus.CANCELLED: set(),
}


class ReplenishmentStatus(models.TextChoices):
    OPEN = "open", "Open"
    ORDERED = "ordered", "Ordered"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


REPLENISHMENT_TRANSITIONS = {
    ReplenishmentStatus.OPEN: {ReplenishmentStatus.ORDERED, ReplenishmentStatus.CANCELLED},
    ReplenishmentStatus.ORDERED: {ReplenishmentStatus.RECEIVED, ReplenishmentStatus.CANCELLED},
    ReplenishmentStatus.RECEIVED: set(),
    ReplenishmentStatus.CANCELLED: set(),
}

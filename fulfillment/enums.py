"""Shipment and return statuses with their allowed transitions, and the codes they use."""

from django.db import models


class ShipmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    PICKING = "picking", "Picking"
    PACKED = "packed", "Packed"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


SHIPMENT_TRANSITIONS = {
    ShipmentStatus.SCHEDULED: {ShipmentStatus.PICKING, ShipmentStatus.CANCELLED},
    ShipmentStatus.PICKING: {ShipmentStatus.PACKED, ShipmentStatus.CANCELLED},
    ShipmentStatus.PACKED: {ShipmentStatus.SHIPPED, ShipmentStatus.CANCELLED},
    ShipmentStatus.SHIPPED: {ShipmentStatus.DELIVERED},
    ShipmentStatus.DELIVERED: set(),
    ShipmentStatus.CANCELLED: set(),
}
# Not yet gone: these use the warehouse's capacity on their planned day and can still be cancelled.
OPEN_SHIPMENT_STATUSES = (ShipmentStatus.SCHEDULED, ShipmentStatus.PICKING, ShipmentStatus.PACKED)


class ReturnStatus(models.TextChoices):
    AUTHORISED = "authorised", "Authorised"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


RETURN_TRANSITIONS = {
    ReturnStatus.AUTHORISED: {ReturnStatus.RECEIVED, ReturnStatus.CANCELLED},
    ReturnStatus.RECEIVED: set(),
    ReturnStatus.CANCELLED: set(),
}


class ReturnReason(models.TextChoices):
    DAMAGED = "damaged", "Damaged in transit"
    DEFECTIVE = "defective", "Defective"
    WRONG_ITEM = "wrong_item", "Wrong item sent"
    NOT_NEEDED = "not_needed", "No longer needed"
    OTHER = "other", "Other"


class ReturnDisposition(models.TextChoices):
    """What happens to returned goods: back into sellable stock, or booked in and scrapped."""

    RESTOCK = "restock", "Back to stock"
    SCRAP = "scrap", "Scrap"

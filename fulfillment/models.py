"""Carriers, shipments (lines, packages, proof of delivery) and returns."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from inventory.models import Warehouse
from o2c.money import QuantityField
from orders.models import Customer, SalesOrder, SalesOrderLine, ShippingAddress

from .enums import ReturnDisposition, ReturnReason, ReturnStatus, ShipmentStatus

TRACKING_PLACEHOLDER = "{tracking}"


def validate_tracking_template(value: str) -> None:
    if value and (TRACKING_PLACEHOLDER not in value or not value.startswith(("https://", "http://"))):
        raise ValidationError(f"A web address containing {TRACKING_PLACEHOLDER}, e.g. "
                              f"https://track.example.com/?id={TRACKING_PLACEHOLDER}.")


class Carrier(models.Model):
    code = models.CharField(max_length=10, unique=True, validators=[RegexValidator(r"^[A-Z0-9]{2,10}$")])
    name = models.CharField(max_length=100)
    service_level = models.CharField(max_length=60, blank=True, help_text="e.g. Standard, Express, Pallet")
    transit_days = models.PositiveSmallIntegerField(default=2, help_text="Working days from ship to delivery.")
    tracking_url_template = models.CharField(
        max_length=300, blank=True, validators=[validate_tracking_template],
        help_text=f"The carrier's tracking page with {TRACKING_PLACEHOLDER} where the tracking number goes.",
    )
    is_default = models.BooleanField(default=False, help_text="Used when a shipment is scheduled without one.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="carrier_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.service_level}".strip()

    def tracking_url(self, tracking_number: str) -> str:
        if not self.tracking_url_template or not tracking_number:
            return ""
        return self.tracking_url_template.replace(TRACKING_PLACEHOLDER, tracking_number)


class Shipment(models.Model):
    number = models.CharField(max_length=30, unique=True, editable=False)
    order = models.ForeignKey(SalesOrder, on_delete=models.PROTECT, related_name="shipments")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="shipments", editable=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="shipments", editable=False)
    ship_to = models.ForeignKey(ShippingAddress, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                editable=False)
    ship_to_text = models.TextField(editable=False, help_text="The delivery address as it was when scheduled.")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipments")
    status = models.CharField(max_length=10, choices=ShipmentStatus.choices, default=ShipmentStatus.SCHEDULED,
                              editable=False)
    planned_ship_date = models.DateField()
    planned_delivery_date = models.DateField()
    promised_date = models.DateField(editable=False, help_text="What the customer was promised: the order's "
                                     "requested date, else the planned delivery when first scheduled.")
    tracking_number = models.CharField(max_length=60, blank=True)
    picked_at = models.DateTimeField(null=True, blank=True, editable=False)
    packed_at = models.DateTimeField(null=True, blank=True, editable=False)
    shipped_at = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_on = models.DateField(null=True, blank=True, editable=False, help_text="Proof of delivery: the day.")
    received_by = models.CharField(max_length=100, blank=True, editable=False,
                                   help_text="Proof of delivery: who signed.")
    on_time = models.BooleanField(null=True, editable=False, help_text="Delivered by the promised date.")
    in_full = models.BooleanField(null=True, editable=False,
                                  help_text="Completed its order lines: nothing of them left to ship.")
    cancel_reason = models.CharField(max_length=200, blank=True, editable=False)
    notification_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["warehouse", "planned_ship_date"], name="shipment_open_by_day",
                         condition=Q(status__in=["scheduled", "picking", "packed"])),
            models.Index(fields=["status", "planned_ship_date"], name="shipment_status_day"),
            # the delivery KPIs (insight) read the shipments shipped or delivered in a period
            models.Index(fields=["shipped_at"], name="shipment_shipped_at", condition=Q(shipped_at__isnull=False)),
            models.Index(fields=["delivered_on"], name="shipment_delivered_on",
                         condition=Q(delivered_on__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(planned_delivery_date__gte=models.F("planned_ship_date")),
                                   name="shipment_delivery_after_ship"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def tracking_url(self) -> str:
        return self.carrier.tracking_url(self.tracking_number)


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(SalesOrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    quantity = QuantityField()

    class Meta:
        ordering = ["order_line__position"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipmentline_once_per_line"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipmentline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}/{self.order_line_id}: {self.quantity}"


DIMENSION = {"max_digits": 8, "decimal_places": 1, "null": True, "blank": True,
             "validators": [MinValueValidator(Decimal("0.1"))]}


class Package(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="packages")
    weight_kg = models.DecimalField(max_digits=10, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))])
    length_cm = models.DecimalField(**DIMENSION)
    width_cm = models.DecimalField(**DIMENSION)
    height_cm = models.DecimalField(**DIMENSION)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight_kg__gt=0), name="package_weight_positive"),
            models.CheckConstraint(
                condition=(Q(length_cm__isnull=True) | Q(length_cm__gt=0))
                & (Q(width_cm__isnull=True) | Q(width_cm__gt=0))
                & (Q(height_cm__isnull=True) | Q(height_cm__gt=0)), name="package_dimensions_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg"

    @property
    def dimensions(self) -> str:
        parts = [self.length_cm, self.width_cm, self.height_cm]
        return " × ".join(f"{p.normalize():f}" for p in parts) + " cm" if all(parts) else ""


class ReturnAuthorization(models.Model):
    """An RMA: goods of shipped order lines the customer may send back, and what became of them."""

    number = models.CharField(max_length=30, unique=True, editable=False)
    order = models.ForeignKey(SalesOrder, on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="returns", editable=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+",
                                  help_text="Where the goods come back to.")
    status = models.CharField(max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.AUTHORISED,
                              editable=False)
    reason = models.CharField(max_length=16, choices=ReturnReason.choices)
    note = models.TextField(blank=True)
    received_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "return"
        indexes = [models.Index(fields=["status", "created_at"], name="return_status_created")]

    def __str__(self) -> str:
        return self.number


class ReturnLine(models.Model):
    rma = models.ForeignKey(ReturnAuthorization, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(SalesOrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = QuantityField()
    disposition = models.CharField(max_length=8, choices=ReturnDisposition.choices,
                                   default=ReturnDisposition.RESTOCK)

    class Meta:
        ordering = ["order_line__position"]
        constraints = [
            models.UniqueConstraint(fields=["rma", "order_line"], name="returnline_once_per_line"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.rma_id}/{self.order_line_id}: {self.quantity}"

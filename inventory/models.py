"""Products, warehouses, stock levels, the stock ledger, reservations, inbound receipts, replenishment."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from o2c.money import CurrencyField, MoneyField, QuantityField

from .enums import MoveKind, ReceiptStatus, ReplenishmentStatus, TaxCategory, UnitOfMeasure

SKU_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,31}$"
sku_validator = RegexValidator(
    SKU_PATTERN, "A SKU is 3 to 32 capital letters, digits and dashes, starting with a letter or digit."
)
MONDAY_TO_FRIDAY = [0, 1, 2, 3, 4]


def normalize_code(value: object) -> object:
    """SKUs (and codes looked up like them) are stored trimmed and in capitals; others pass through."""
    return value.strip().upper() if isinstance(value, str) else value


def default_working_days() -> list[int]:
    return list(MONDAY_TO_FRIDAY)


def validate_working_days(days: list[int]) -> None:
    if not days or any(d not in range(7) for d in days) or len(set(days)) != len(days):
        raise ValidationError("Working days are distinct weekdays 0 (Monday) to 6 (Sunday), at least one.")


class Product(models.Model):
    sku = models.CharField("SKU", max_length=32, unique=True, validators=[sku_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=8, choices=UnitOfMeasure.choices, default=UnitOfMeasure.PIECE)
    list_price = MoneyField(validators=[MinValueValidator(0)])
    currency = CurrencyField()
    tax_category = models.CharField(max_length=16, choices=TaxCategory.choices, default=TaxCategory.STANDARD)
    weight_kg = models.DecimalField(max_digits=10, decimal_places=3, default=0, validators=[MinValueValidator(0)])
    is_active = models.BooleanField(default=True)
    lead_time_days = models.PositiveSmallIntegerField(default=10, help_text="Working days to replenish.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=Q(weight_kg__gte=0), name="product_weight_not_negative"),
        ]
        indexes = [models.Index(fields=["name"], name="product_name")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Warehouse(models.Model):
    code = models.CharField(max_length=10, unique=True, validators=[RegexValidator(r"^[A-Z0-9]{2,10}$")])
    name = models.CharField(max_length=100)
    address = models.TextField(blank=True)
    shipping_capacity_per_day = models.PositiveIntegerField(default=100, help_text="Shipments it can send a day.")
    working_days = ArrayField(
        models.PositiveSmallIntegerField(), default=default_working_days, validators=[validate_working_days],
        help_text="Weekdays it works, 0 = Monday … 6 = Sunday.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Holiday(models.Model):
    """A day nobody ships: for one warehouse, or (without one) a public holiday for every warehouse
    and for the carriers' transit days."""

    date = models.DateField()
    name = models.CharField(max_length=100)
    warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.CASCADE, related_name="holidays",
                                  help_text="Empty: a public holiday for all warehouses and carriers.")

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "date"], name="holiday_warehouse_date"),
            models.UniqueConstraint(fields=["date"], condition=Q(warehouse__isnull=True), name="holiday_public_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class StockLevel(models.Model):
    """What a warehouse holds of a product. Changed only by inventory services, under a row lock."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = QuantityField(default=0)
    reserved = QuantityField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id", "warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stocklevel_product_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stocklevel_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stocklevel_reserved_le_on_hand"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.on_hand} ({self.reserved} reserved)"

    @property
    def available(self):
        return self.on_hand - self.reserved


class StockMove(models.Model):
    """The append-only ledger: on_hand of a product in a warehouse is the sum of its moves."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="moves")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="moves")
    kind = models.CharField(max_length=16, choices=MoveKind.choices)
    quantity = QuantityField(help_text="Signed: positive in, negative out.")
    balance_after = QuantityField()
    reason = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="The source document, e.g. ER-12.")
    source_key = models.CharField(max_length=100, blank=True, help_text="app.model:pk of the source line.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["product", "warehouse", "-id"], name="stockmove_product_wh")]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="stockmove_quantity_not_zero")]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+} {self.product_id}@{self.warehouse_id}"


class StockReservation(models.Model):
    """Demand for a product in a warehouse from one source line (e.g. a sales order line).

    `quantity_reserved` is held against on_hand now; `quantity_requested - quantity_reserved` is the
    backorder that claims incoming stock ahead of later demand.
    """

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="reservations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations")
    source_key = models.CharField(max_length=100, help_text="app.model:pk of the demand, e.g. an order line.")
    reference = models.CharField(max_length=100, blank=True)
    quantity_requested = QuantityField()
    quantity_reserved = QuantityField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source_key", "warehouse"], name="reservation_source_wh"),
            models.CheckConstraint(condition=Q(quantity_reserved__gte=0), name="reservation_reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(quantity_reserved__lte=F("quantity_requested")), name="reservation_reserved_le_requested"
            ),
        ]
        indexes = [models.Index(fields=["product", "warehouse"], name="reservation_product_wh")]

    def __str__(self) -> str:
        return f"{self.reference or self.source_key}: {self.quantity_reserved}/{self.quantity_requested}"

    @property
    def backordered(self):
        return self.quantity_requested - self.quantity_reserved


class ExpectedReceipt(models.Model):
    """Inbound stock announced for a date (a purchase, a transfer on its way)."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="expected_receipts")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="expected_receipts")
    quantity = QuantityField()
    received_quantity = QuantityField(default=0)
    expected_date = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=ReceiptStatus.choices, default=ReceiptStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expected_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="receipt_quantity_positive"),
            models.CheckConstraint(condition=Q(received_quantity__gte=0), name="receipt_received_not_negative"),
            models.CheckConstraint(
                condition=Q(received_quantity__lte=F("quantity")), name="receipt_received_le_quantity"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "warehouse", "expected_date"], name="receipt_open",
                         condition=Q(status="open")),
        ]

    def __str__(self) -> str:
        return (f"ER-{self.pk} {self.quantity.normalize():f} × {self.product.sku} → {self.warehouse.code} "
                f"on {self.expected_date}")

    @property
    def open_quantity(self):
        return self.quantity - self.received_quantity


class ReorderRule(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reorder_rules")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="reorder_rules")
    reorder_point = QuantityField(validators=[MinValueValidator(0)])
    reorder_quantity = QuantityField(validators=[MinValueValidator(Decimal("0.001"))])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["product_id", "warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="reorderrule_product_warehouse"),
            models.CheckConstraint(condition=Q(reorder_point__gte=0), name="reorderrule_point_not_negative"),
            models.CheckConstraint(condition=Q(reorder_quantity__gt=0), name="reorderrule_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: below {self.reorder_point} order {self.reorder_quantity}"


class ReplenishmentRequest(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="replenishment_requests")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="replenishment_requests")
    quantity = QuantityField()
    status = models.CharField(max_length=16, choices=ReplenishmentStatus.choices, default=ReplenishmentStatus.OPEN)
    expected_receipt = models.OneToOneField(
        ExpectedReceipt, null=True, blank=True, on_delete=models.PROTECT, related_name="replenishment"
    )
    projected_quantity = QuantityField(help_text="available + incoming when the request was raised")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], condition=Q(status="open"), name="replenishment_one_open"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="replenishment_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"RR-{self.pk} {self.quantity.normalize():f} × {self.product.sku} @ {self.warehouse.code}"

"""Customers, payment terms, tax rates, price lists, quotes and sales orders.

Fields that a downstream app keeps are marked so: receivables keeps `Customer.open_balance` and
`SalesOrder.paid_amount`; fulfillment keeps the shipped / delivered / returned quantities; billing
keeps the invoiced quantities and `SalesOrder.invoiced_amount`. Nobody else writes them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from inventory.enums import TaxCategory
from inventory.models import Product, Warehouse
from o2c.money import CurrencyField, MoneyField, QuantityField

from .enums import ContactRole, DocumentLanguage, InvoicingPolicy, OrderStatus, Progress, QuoteStatus

country_validator = RegexValidator(r"^[A-Z]{2}$", "Use a two-letter ISO 3166 country code, e.g. DE.")
PERCENT = {"max_digits": 5, "decimal_places": 2,
           "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]}


def CountryField(**kwargs: object) -> models.CharField:
    return models.CharField(max_length=2, validators=[country_validator], **kwargs)


class PaymentTerm(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    net_days = models.PositiveSmallIntegerField(default=30)
    end_of_month = models.BooleanField(default=False, help_text="Due at the end of the month the net days reach.")
    discount_percent = models.DecimalField(default=0, **PERCENT, help_text="Early-payment discount.")
    discount_days = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["net_days", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent=0) | Q(discount_days__gt=0, discount_days__lte=F("net_days")),
                name="paymentterm_discount_within_net_days",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class TaxRate(models.Model):
    """The rate of a tax category in a country from a date (the seller's country for domestic sales)."""

    category = models.CharField(max_length=16, choices=TaxCategory.choices)
    country = CountryField()
    rate = models.DecimalField(**PERCENT)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    name = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["country", "category", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["category", "country", "valid_from"], name="taxrate_unique_start"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                                   name="taxrate_valid_range"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.category} {self.rate}%"


class Customer(models.Model):
    number = models.CharField(max_length=20, unique=True, editable=False)
    legal_name = models.CharField(max_length=200)
    vat_id = models.CharField("VAT id", max_length=20, blank=True)
    country = CountryField()
    billing_address = models.TextField(help_text="Street, postcode and city, one per line.")
    currency = CurrencyField()
    payment_term = models.ForeignKey(PaymentTerm, on_delete=models.PROTECT, related_name="customers")
    credit_limit = MoneyField(null=True, blank=True, validators=[MinValueValidator(0)],
                              help_text="Empty: no limit.")
    discount_percent = models.DecimalField(default=0, **PERCENT, help_text="Default line discount.")
    invoicing_policy = models.CharField(max_length=16, choices=InvoicingPolicy.choices,
                                        default=InvoicingPolicy.ON_SHIPMENT)
    language = models.CharField(max_length=5, choices=DocumentLanguage.choices, default=DocumentLanguage.ENGLISH)
    credit_hold = models.BooleanField(default=False)
    credit_hold_reason = models.CharField(max_length=200, blank=True)
    credit_hold_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    credit_hold_at = models.DateTimeField(null=True, blank=True)
    do_not_dun = models.BooleanField("do not send reminders", default=False)
    open_balance = MoneyField(default=0, editable=False, help_text="Kept by receivables.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                                   name="customer_credit_limit_not_negative"),
        ]
        indexes = [models.Index(fields=["legal_name"], name="customer_legal_name")]
        permissions = [("manage_credit", "Can set credit limits and holds, and release or reject held orders")]

    def __str__(self) -> str:
        return f"{self.number} {self.legal_name}"


class ShippingAddress(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="shipping_addresses")
    label = models.CharField(max_length=60, help_text="e.g. Main warehouse")
    recipient = models.CharField(max_length=200, blank=True)
    address = models.TextField()
    country = CountryField()
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "label"]
        verbose_name_plural = "shipping addresses"
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(is_default=True),
                                    name="shippingaddress_one_default"),
        ]

    def __str__(self) -> str:
        return self.label

    def as_text(self) -> str:
        return "\n".join(p for p in (self.recipient, self.address, self.country) if p)


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    role = models.CharField(max_length=10, choices=ContactRole.choices, default=ContactRole.SALES)

    class Meta:
        ordering = ["role", "name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class PriceListItem(models.Model):
    """A customer's own price for a product (in the customer's currency), overriding the list price."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="prices")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    unit_price = MoneyField(validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["customer_id", "product_id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "product"], name="pricelistitem_customer_product"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="pricelistitem_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}/{self.product_id}: {self.unit_price}"


class SalesDocument(models.Model):
    """What a quote and an order share: the customer, currency and stored totals."""

    number = models.CharField(max_length=30, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="%(class)ss")
    currency = CurrencyField()
    tax_treatment = models.CharField(max_length=16, editable=False)
    notes = models.TextField(blank=True)
    net_total = MoneyField(default=0, editable=False)
    tax_total = MoneyField(default=0, editable=False)
    gross_total = MoneyField(default=0, editable=False)
    tax_summary = models.JSONField(default=list, editable=False, help_text="[{rate, net, tax}] per rate.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number


class SalesLine(models.Model):
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=200)
    quantity = QuantityField()
    unit_price = MoneyField()
    discount_percent = models.DecimalField(default=0, **PERCENT)
    tax_category = models.CharField(max_length=16, choices=TaxCategory.choices)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    net_amount = MoneyField()
    tax_amount = MoneyField()

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}: {self.description}"


class Quote(SalesDocument):
    status = models.CharField(max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    valid_until = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "valid_until"], name="quote_status_valid_until")]


class QuoteLine(SalesLine):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(SalesLine.Meta):
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="quoteline_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quoteline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="quoteline_price_not_negative"),
        ]


class SalesOrder(SalesDocument):
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    quote = models.OneToOneField(Quote, null=True, blank=True, on_delete=models.PROTECT, related_name="order")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    ship_to = models.ForeignKey(ShippingAddress, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requested_date = models.DateField(null=True, blank=True)
    customer_reference = models.CharField("customer PO reference", max_length=60, blank=True)
    hold_reason = models.CharField(max_length=300, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    delivery_status = models.CharField(max_length=8, choices=Progress.choices, default=Progress.NONE, editable=False)
    invoice_status = models.CharField(max_length=8, choices=Progress.choices, default=Progress.NONE, editable=False)
    payment_status = models.CharField(max_length=8, choices=Progress.choices, default=Progress.NONE, editable=False)
    invoiced_amount = MoneyField(default=0, editable=False, help_text="Kept by billing.")
    paid_amount = MoneyField(default=0, editable=False, help_text="Kept by receivables.")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "customer"], name="salesorder_status_customer"),
            models.Index(fields=["customer", "status"], name="salesorder_customer_status"),
            models.Index(fields=["customer_reference"], name="salesorder_customer_ref"),
            models.Index(fields=["confirmed_at"], name="salesorder_confirmed_at",
                         condition=Q(confirmed_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(invoiced_amount__gte=0) & Q(paid_amount__gte=0),
                                   name="salesorder_amounts_not_negative"),
        ]

class SalesOrderLine(SalesLine):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    reserved_quantity = QuantityField(default=0, editable=False)
    backordered_quantity = QuantityField(default=0, editable=False)
    shipped_quantity = QuantityField(default=0, editable=False, help_text="Kept by fulfillment.")
    delivered_quantity = QuantityField(default=0, editable=False, help_text="Kept by fulfillment.")
    returned_quantity = QuantityField(default=0, editable=False, help_text="Kept by fulfillment.")
    invoiced_quantity = QuantityField(default=0, editable=False, help_text="Kept by billing.")
    cancelled_quantity = QuantityField(default=0, editable=False)
    backordered_at_confirmation = QuantityField(default=0, editable=False,
                                                help_text="What stock could not cover when the order was confirmed.")
    promise_date = models.DateField(null=True, blank=True, editable=False)

    class Meta(SalesLine.Meta):
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="salesorderline_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="salesorderline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="salesorderline_price_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved_quantity__gte=0, backordered_quantity__gte=0, shipped_quantity__gte=0,
                            cancelled_quantity__gte=0, invoiced_quantity__gte=0, returned_quantity__gte=0),
                name="salesorderline_quantities_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(shipped_quantity__lte=F("quantity") - F("cancelled_quantity")),
                name="salesorderline_not_overshipped",
            ),
            models.CheckConstraint(
                condition=Q(reserved_quantity__lte=F("quantity") - F("cancelled_quantity") - F("shipped_quantity")),
                name="salesorderline_reserved_le_open",
            ),
        ]
        indexes = [
            models.Index(fields=["product"], condition=Q(backordered_quantity__gt=0),
                         name="salesorderline_backordered"),
        ]

    @property
    def open_quantity(self) -> Decimal:
        """Still to ship: ordered − cancelled − shipped."""
        return self.quantity - self.cancelled_quantity - self.shipped_quantity


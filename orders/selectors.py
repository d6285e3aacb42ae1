"""Sales reads: credit exposure, the credit-approval queue, lists and searches, product lookup."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, Q, QuerySet, Sum
from django.utils import timezone

from inventory.calendar import warehouse_calendar
from inventory.models import Product, StockLevel, Warehouse
from inventory.selectors import cover_dates

from .enums import ContactRole, OrderStatus
from .models import Customer, Quote, SalesOrder

ZERO = Decimal(0)
MONEY = DecimalField(max_digits=18, decimal_places=2)


@dataclass(frozen=True)
class CreditPosition:
    limit: Decimal | None
    open_balance: Decimal
    open_orders: Decimal

    @property
    def exposure(self) -> Decimal:
        return self.open_balance + self.open_orders

    @property
    def headroom(self) -> Decimal | None:
        return None if self.limit is None else self.limit - self.exposure


def credit_positions(customers: list[Customer]) -> dict[int, CreditPosition]:
    """Each customer's limit, open balance and confirmed orders not yet invoiced: one query."""
    open_orders = dict(
        SalesOrder.objects.filter(customer__in=customers, status=OrderStatus.CONFIRMED).values("customer")
        .annotate(t=Sum(F("gross_total") - F("invoiced_amount"), output_field=MONEY)).values_list("customer", "t")
    ) if customers else {}
    return {c.pk: CreditPosition(c.credit_limit, c.open_balance, open_orders.get(c.pk) or ZERO) for c in customers}


def credit_position(customer: Customer) -> CreditPosition:
    return credit_positions([customer])[customer.pk]


def credit_block_reason(customer: Customer, order: SalesOrder) -> str:
    """Why `order` may not confirm on credit ('' when it may). The caller holds the customer lock, so
    two confirmations of one customer are checked one after the other."""
    if customer.credit_hold:
        return f"Customer on credit hold: {customer.credit_hold_reason or 'no reason given'}."
    if customer.credit_limit is None:
        return ""
    open_orders = credit_position(customer).open_orders  # the order itself is a draft or on hold: not counted
    exposure = customer.open_balance + open_orders + order.gross_total
    if exposure > customer.credit_limit:
        return (f"Credit limit {customer.credit_limit} {customer.currency} exceeded: exposure would be {exposure} "
                f"(open balance {customer.open_balance} + open orders {open_orders} + this order "
                f"{order.gross_total}).")
    return ""


def contact_recipients(customer: Customer, *roles: str) -> list[str]:
    """The e-mail addresses of the first of `roles` the customer has contacts for; without any, every
    contact's (one query, or none when the contacts are prefetched)."""
    contacts = list(customer.contacts.all())
    for role in roles:
        emails = [c.email for c in contacts if c.role == role]
        if emails:
            return emails
    return [c.email for c in contacts]


def sales_recipients(customer: Customer) -> list[str]:
    """Quotes and confirmations go to the sales contacts; without one, to any contact."""
    return contact_recipients(customer, ContactRole.SALES)


def customer_has_documents(customer: Customer) -> bool:
    return (SalesOrder.objects.filter(customer=customer).exists()
            or Quote.objects.filter(customer=customer).exists())


def customer_list(*, search: str = "", active: bool | None = None) -> QuerySet[Customer]:
    qs = Customer.objects.select_related("payment_term")
    if search:
        qs = qs.filter(Q(number__iexact=search) | Q(legal_name__icontains=search) | Q(vat_id__icontains=search))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def order_list(
    *, status: str = "", customer: Customer | int | None = None, search: str = "",
    date_from: datetime.date | None = None, date_to: datetime.date | None = None,
) -> QuerySet[SalesOrder]:
    """Orders filtered by status / customer / creation date; search by order number or customer PO."""
    qs = SalesOrder.objects.select_related("customer", "warehouse")
    if status:
        qs = qs.filter(status=status)
    if customer:
        qs = qs.filter(customer=customer)
    if search:
        term = search.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(customer_reference__icontains=term))
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs


def quote_list(*, status: str = "", customer: Customer | int | None = None, search: str = "") -> QuerySet[Quote]:
    qs = Quote.objects.select_related("customer")
    if status:
        qs = qs.filter(status=status)
    if customer:
        qs = qs.filter(customer=customer)
    if search:
        qs = qs.filter(number__icontains=search.strip())
    return qs


def credit_queue() -> QuerySet[SalesOrder]:
    """Finance's credit-approval queue: orders on hold, oldest first."""
    return (SalesOrder.objects.filter(status=OrderStatus.ON_HOLD).select_related("customer", "warehouse")
            .order_by("updated_at", "pk"))


@dataclass(frozen=True)
class ProductOffer:
    """What the order-entry autocomplete shows for a product."""

    id: int
    sku: str
    name: str
    list_price: Decimal
    currency: str
    available: Decimal
    promise_date: datetime.date


def product_offers(
    *, search: str, warehouse: Warehouse, quantity: Decimal = Decimal(1), limit: int = 20,
) -> list[ProductOffer]:
    """Active products matching SKU or name, with availability in `warehouse` and the date
    `quantity` can leave it (a fixed number of queries)."""
    term = search.strip()
    qs = Product.objects.filter(is_active=True)
    if term:
        qs = qs.filter(Q(sku__icontains=term) | Q(name__icontains=term))
    products = list(qs.order_by("sku")[:limit])
    available = dict(StockLevel.objects.filter(product__in=products, warehouse=warehouse)
                     .values_list("product_id").annotate(a=F("on_hand") - F("reserved")))
    short = [p for p in products if available.get(p.pk, ZERO) < quantity]
    today = timezone.localdate()
    calendar = warehouse_calendar(warehouse, today)
    dates = cover_dates(products=short, warehouse=warehouse, extra=dict.fromkeys((p.pk for p in short), quantity),
                        today=today, calendar=calendar)
    ready = calendar.next_working(today)
    return [ProductOffer(p.pk, p.sku, p.name, p.list_price, p.currency, available.get(p.pk, ZERO),
                         dates.get(p.pk, ready)) for p in products]

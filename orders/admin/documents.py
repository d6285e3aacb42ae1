"""Quotes and sales orders: read-only documents, changed by actions that call the services."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from o2c.admin import ReadOnlyAdmin, ReadOnlyInline, run_each

from ..enums import OrderStatus, QuoteStatus
from ..models import (
    Quote,
    QuoteLine,
    SalesOrder,
    SalesOrderLine,
)
from ..services import (
    order_cancel,
    order_confirm,
    order_reject_hold,
    order_release_hold,
    quote_accept,
    quote_reject,
    quote_send,
    quotes_expire,
)
from ..services.customers import CREDIT_PERMISSION
from .common import ask_reason, audit_history

LINE_FIELDS = ["position", "product", "description", "quantity", "unit_price", "discount_percent", "tax_category",
               "tax_rate", "net_amount", "tax_amount"]
ORDER_LINE_FIELDS = [*LINE_FIELDS, "reserved_quantity", "backordered_quantity", "promise_date", "shipped_quantity",
                     "delivered_quantity", "returned_quantity", "invoiced_quantity", "cancelled_quantity"]
AMOUNT_FIELDS = ["currency", "tax_treatment", "net_total", "tax_total", "gross_total", "tax_summary"]


class ReadOnlyLines(ReadOnlyInline):
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("product")


class QuoteLineInline(ReadOnlyLines):
    model = QuoteLine
    fields = readonly_fields = LINE_FIELDS


class SalesOrderLineInline(ReadOnlyLines):
    model = SalesOrderLine
    fields = readonly_fields = ORDER_LINE_FIELDS


class DocumentAdmin(ReadOnlyAdmin):
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="history")
    def history(self, obj: models.Model) -> str:
        return audit_history(obj)


@admin.register(Quote)
class QuoteAdmin(DocumentAdmin):
    list_display = ["number", "customer", "status", "valid_until", "gross_total", "currency", "sent_at",
                    "created_at"]
    list_filter = ["status", "currency", "tax_treatment", "valid_until"]
    search_fields = ["number", "customer__number", "customer__legal_name"]
    fieldsets = [
        (None, {"fields": ["number", "customer", "status", "valid_until", "notes"]}),
        ("Amounts", {"fields": AMOUNT_FIELDS}),
        ("Record", {"fields": ["sent_at", "emailed_at", "created_by", "created_at", "updated_at", "history"]}),
    ]
    readonly_fields = ["number", "customer", "status", "valid_until", "notes", *AMOUNT_FIELDS, "sent_at",
                       "emailed_at", "created_by", "created_at", "updated_at", "history"]
    inlines = [QuoteLineInline]
    actions = ["send", "accept", "reject", "expire_overdue"]

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.change_quote")

    @admin.action(description="Send selected draft quotes (e-mailed with their PDF)", permissions=["manage"])
    def send(self, request: HttpRequest, queryset: QuerySet[Quote]) -> None:
        run_each(self, request, queryset.filter(status=QuoteStatus.DRAFT), "Sent",
                 lambda q: quote_send(quote_id=q.pk, actor=request.user))

    @admin.action(description="Accept selected sent quotes (a draft order each)", permissions=["manage"])
    def accept(self, request: HttpRequest, queryset: QuerySet[Quote]) -> None:
        created: list[str] = []

        def call(quote: Quote) -> None:
            created.append(quote_accept(quote_id=quote.pk, actor=request.user).number)

        run_each(self, request, queryset, "Accepted", call)
        if created:
            self.message_user(request, f"Draft order(s) created: {', '.join(created)}.", messages.SUCCESS)

    @admin.action(description="Reject selected sent quotes…", permissions=["manage"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Quote]) -> HttpResponse | None:
        reason = ask_reason(self, request, queryset, action="reject", title="Why were these quotes rejected?",
                            required=False)
        if not isinstance(reason, str):
            return reason
        run_each(self, request, queryset, "Rejected",
                 lambda q: quote_reject(quote_id=q.pk, actor=request.user, reason=reason))
        return None

    @admin.action(description="Expire every quote past its validity (the nightly job, now)", permissions=["manage"])
    def expire_overdue(self, request: HttpRequest, queryset: QuerySet[Quote]) -> None:
        expired = quotes_expire(actor=request.user)
        if expired:
            self.message_user(request, f"Expired: {', '.join(expired)}.", messages.SUCCESS)
        else:
            self.message_user(request, "No draft or sent quote is past its validity.", messages.INFO)


@admin.register(SalesOrder)
class SalesOrderAdmin(DocumentAdmin):
    list_display = ["number", "customer", "status", "warehouse", "gross_total", "currency", "delivery_status",
                    "invoice_status", "payment_status", "created_at"]
    list_filter = ["status", "delivery_status", "invoice_status", "payment_status", "warehouse", "currency",
                   "tax_treatment"]
    list_select_related = ["customer", "warehouse"]
    search_fields = ["number", "customer_reference", "customer__number", "customer__legal_name"]
    fieldsets = [
        (None, {"fields": ["number", "customer", "status", "hold_reason", "quote", "customer_reference", "notes"]}),
        ("Delivery", {"fields": ["warehouse", "ship_to", "requested_date", "delivery_status"]}),
        ("Amounts", {"fields": [*AMOUNT_FIELDS, "invoiced_amount", "invoice_status", "paid_amount",
                                "payment_status"]}),
        ("Record", {"fields": ["confirmed_at", "confirmation_sent_at", "created_by", "created_at", "updated_at",
                               "history"]}),
    ]
    readonly_fields = ["number", "customer", "status", "hold_reason", "quote", "customer_reference", "notes",
                       "warehouse", "ship_to", "requested_date", "delivery_status", *AMOUNT_FIELDS, "invoiced_amount",
                       "invoice_status", "paid_amount", "payment_status", "confirmed_at", "confirmation_sent_at",
                       "created_by", "created_at", "updated_at", "history"]
    inlines = [SalesOrderLineInline]
    actions = ["confirm", "cancel", "release_hold", "reject_hold"]

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.change_salesorder")

    def has_credit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(CREDIT_PERMISSION)

    @admin.action(description="Confirm selected draft orders (credit check, reserve stock)",
                  permissions=["manage"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[SalesOrder]) -> None:
        def call(order: SalesOrder) -> str | None:
            order = order_confirm(order_id=order.pk, actor=request.user)
            if order.status == OrderStatus.ON_HOLD:
                return f"put on credit hold — {order.hold_reason}"
            backordered = sum(1 for line in order.lines.all() if line.backordered_quantity > 0)  # held by the service
            if backordered:
                self.message_user(request, f"{order}: {backordered} line(s) backordered, waiting for stock.",
                                  messages.INFO)
            return None

        run_each(self, request, queryset, "Confirmed", call)

    @admin.action(description="Cancel selected orders (reservations are released)…", permissions=["manage"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[SalesOrder]) -> HttpResponse | None:
        reason = ask_reason(self, request, queryset, action="cancel", title="Why are these orders cancelled?",
                            required=False)
        if not isinstance(reason, str):
            return reason
        run_each(self, request, queryset, "Cancelled",
                 lambda o: order_cancel(order_id=o.pk, actor=request.user, reason=reason))
        return None

    @admin.action(description="Release the credit hold (confirm selected held orders)", permissions=["credit"])
    def release_hold(self, request: HttpRequest, queryset: QuerySet[SalesOrder]) -> None:
        run_each(self, request, queryset, "Released and confirmed",
                 lambda o: order_release_hold(order_id=o.pk, actor=request.user, note="Released in the admin"))

    @admin.action(description="Refuse the credit (cancel selected held orders)…", permissions=["credit"])
    def reject_hold(self, request: HttpRequest, queryset: QuerySet[SalesOrder]) -> HttpResponse | None:
        reason = ask_reason(self, request, queryset, action="reject_hold", title="Why is the credit refused?")
        if not isinstance(reason, str):
            return reason
        run_each(self, request, queryset, "Credit refused",
                 lambda o: order_reject_hold(order_id=o.pk, actor=request.user, reason=reason))
        return None


class BackorderedFilter(admin.SimpleListFilter):
    title = "backordered"
    parameter_name = "backordered"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(backordered_quantity__gt=Decimal(0))
        if self.value() == "no":
            return queryset.filter(backordered_quantity=Decimal(0))
        return queryset


class LineAdmin(ReadOnlyAdmin):
    list_select_related = ["product"]
    search_fields = ["product__sku", "description"]
    show_full_result_count = False


@admin.register(QuoteLine)
class QuoteLineAdmin(LineAdmin):
    list_display = ["quote", "position", "product", "quantity", "unit_price", "discount_percent", "net_amount",
                    "tax_rate"]
    list_select_related = ["quote", "product"]
    list_filter = ["quote__status", "tax_category"]
    search_fields = ["quote__number", *LineAdmin.search_fields]
    fields = readonly_fields = ["quote", *LINE_FIELDS]


@admin.register(SalesOrderLine)
class SalesOrderLineAdmin(LineAdmin):
    """The open demand per line; filter on "backordered" for what waits for stock."""

    list_display = ["order", "position", "product", "quantity", "reserved_quantity", "backordered_quantity",
                    "shipped_quantity", "invoiced_quantity", "promise_date"]
    list_select_related = ["order", "product"]
    list_filter = ["order__status", BackorderedFilter, "promise_date"]
    search_fields = ["order__number", *LineAdmin.search_fields]
    fields = readonly_fields = ["order", *ORDER_LINE_FIELDS]

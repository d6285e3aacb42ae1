"""The left navigation: sections and links, each shown to the roles that work there.

This is wiring (it names every app's pages); the kernel modules do not import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from .roles import ADMIN, FINANCE, SALES, WAREHOUSE


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    icon: str = "circle"


@dataclass(frozen=True)
class Section:
    title: str
    roles: frozenset[str]
    links: tuple[Link, ...] = field(default_factory=tuple)


EVERYONE = frozenset({SALES, WAREHOUSE, FINANCE, ADMIN})

NAVIGATION: tuple[Section, ...] = (
    Section("Overview", EVERYONE, (
        Link("Home", "home", "house"),
        Link("KPIs", "insight:kpis", "speedometer2"),
    )),
    Section("Sales", frozenset({SALES}), (
        Link("Sales desk", "orders:home", "cart"),
        Link("Customers", "orders:customer-list", "people"),
        Link("Quotes", "orders:quote-list", "file-earmark-text"),
        Link("Orders", "orders:order-list", "receipt-cutoff"),
        Link("New order", "orders:order-create", "plus-square"),
        Link("Products", "inventory:product-list", "boxes"),
        Link("Invoices", "billing:invoice-list", "receipt"),
    )),
    Section("Warehouse", frozenset({WAREHOUSE}), (
        Link("Inventory", "inventory:home", "box-seam"),
        Link("Products", "inventory:product-list", "boxes"),
        Link("Replenishment", "inventory:replenishment", "arrow-repeat"),
        Link("Work queue", "fulfillment:home", "truck"),
        Link("Shipments", "fulfillment:shipment-list", "box2"),
        Link("Scheduling board", "fulfillment:board", "calendar-week"),
        Link("Returns", "fulfillment:return-list", "arrow-return-left"),
        Link("Carriers", "fulfillment:carrier-list", "truck-front"),
        Link("Holiday calendar", "fulfillment:holiday-list", "calendar-x"),
    )),
    Section("Finance", frozenset({FINANCE}), (
        Link("Credit approvals", "orders:credit-queue", "shield-check"),
        Link("Billing", "billing:home", "receipt"),
        Link("Invoices", "billing:invoice-list", "receipt"),
        Link("Credit notes", "billing:credit-note-list", "receipt-cutoff"),
        Link("Receivables", "receivables:home", "cash-coin"),
        Link("Collector worklist", "receivables:worklist", "list-check"),
        Link("Collection priorities", "insight:priorities", "sort-down"),
        Link("Cash forecast", "insight:forecast", "graph-up-arrow"),
        Link("Aging", "receivables:aging", "bar-chart"),
        Link("Payments", "receivables:payment-list", "wallet2"),
        Link("Bank statements", "receivables:statement-list", "bank"),
        Link("Reconciliation", "receivables:queue", "arrow-left-right"),
        Link("Reminders", "receivables:reminder-list", "envelope-exclamation"),
        Link("Disputes", "receivables:dispute-list", "exclamation-octagon"),
        Link("Audit log", "audit-log", "journal-text"),
    )),
    Section("Administration", frozenset({ADMIN}), (
        Link("Webhooks", "webhook-list", "broadcast"),
        Link("Outbox events", "event-list", "send"),
        Link("Audit log", "audit-log", "journal-text"),
        Link("API docs", "api-docs", "braces"),
        Link("Django admin", "admin:index", "gear"),
    )),
)


def sections_for(user: object) -> list[dict[str, object]]:
    if not getattr(user, "is_authenticated", False):
        return []
    is_admin = bool(getattr(user, "is_superuser", False))
    roles = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
    visible = []
    for section in NAVIGATION:
        if not (is_admin or roles & section.roles):
            continue
        links = []
        for link in section.links:
            try:
                links.append({"label": link.label, "url": reverse(link.url_name), "icon": link.icon})
            except NoReverseMatch:
                continue
        visible.append({"title": section.title, "links": links})
    return visible


def navigation(request: HttpRequest) -> dict[str, object]:
    """Template context processor: `nav_sections` for base.html (one query, only when used)."""
    user = getattr(request, "user", None)
    return {"nav_sections": lambda: sections_for(user)}

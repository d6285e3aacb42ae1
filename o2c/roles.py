"""The roles (Django groups) and what each may do, as permission patterns.

Patterns are ``app_label.codename`` with shell wildcards, so a stage app's new models get the
right permissions the next time `manage.py setup_roles` runs (make run and the tests run it).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from django.contrib.auth.models import Group, Permission

SALES, WAREHOUSE, FINANCE, ADMIN = "Sales", "Warehouse", "Finance", "Admin"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    SALES: [
        "orders.add_*",
        "orders.change_*",
        "orders.delete_*",
        "orders.view_*",
        "inventory.view_*",
        "fulfillment.view_*",
        "billing.view_*",
        # what a customer paid, owes and contests; not the bank's statements and accounts
        "receivables.view_payment",
        "receivables.view_allocation",
        "receivables.view_refund",
        "receivables.view_writeoff",
        "receivables.view_promisetopay",
        "receivables.view_dispute",
        "receivables.view_reminder",
        "receivables.view_reminderlog",
        "receivables.view_policycredithold",
        "receivables.view_customerstatement",
        "receivables.view_dunningpolicy",
        "receivables.view_dunninglevel",
        "insight.view_kpisnapshot",
        "insight.view_paymentprediction",
        "insight.view_paymenthabit",
    ],
    WAREHOUSE: [
        "inventory.*",
        "fulfillment.*",
        "orders.view_*",
        "insight.view_kpisnapshot",
    ],
    FINANCE: [
        "billing.*",
        "receivables.*",  # incl. receivables.apply_cash: payments and bank statements
        "orders.view_*",
        "orders.change_customer",
        "orders.manage_credit",
        "fulfillment.view_*",
        "inventory.view_*",
        "o2c.view_auditevent",
        "insight.*",
    ],
    ADMIN: ["*"],
}


def permissions_for(patterns: list[str]) -> list[Permission]:
    perms = Permission.objects.select_related("content_type")
    return [
        p for p in perms
        if any(fnmatchcase(f"{p.content_type.app_label}.{p.codename}", pattern) for pattern in patterns)
    ]


def setup_roles() -> dict[str, int]:
    """Create the groups and set their permissions exactly (idempotent). Returns counts."""
    counts = {}
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = permissions_for(patterns)
        group.permissions.set(perms)
        counts[role] = len(perms)
    return counts

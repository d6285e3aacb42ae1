"""Customers and their master data: addresses, contacts, prices, payment terms, credit control."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from inventory.models import Product, normalize_code
from o2c.audit import audit_record
from o2c.errors import Conflict, PermissionDenied, ValidationFailed
from o2c.masterdata import record_create, record_update
from o2c.numbering import next_number

from ..models import Contact, Customer, PaymentTerm, PriceListItem, ShippingAddress, TaxRate
from ..pricing import clean_vat_id, parse_decimal

CUSTOMER_FIELDS = ("legal_name", "vat_id", "country", "billing_address", "currency", "payment_term",
                   "credit_limit", "discount_percent", "invoicing_policy", "language", "do_not_dun", "is_active")
# The credit limit and the credit hold are Finance's: changed only through customer_set_credit.
CUSTOMER_UPDATE_FIELDS = tuple(f for f in CUSTOMER_FIELDS if f != "credit_limit")
ADDRESS_FIELDS = ("label", "recipient", "address", "country", "is_default")
CONTACT_FIELDS = ("name", "email", "phone", "role")
PAYMENT_TERM_FIELDS = ("code", "name", "net_days", "end_of_month", "discount_percent", "discount_days", "is_active")
TAX_RATE_FIELDS = ("category", "country", "rate", "valid_from", "valid_to", "name")
UNSET: Any = object()
CREDIT_PERMISSION = "orders.manage_credit"


def require_credit_manager(actor: AbstractBaseUser | None) -> None:
    """Credit limits, credit holds and held orders are Finance's (a system actor, None, may)."""
    if actor is not None and not actor.has_perm(CREDIT_PERMISSION):
        raise PermissionDenied(
            "Only users who manage credit (Finance) may set credit limits and holds or decide on held orders.",
            details={"credit_limit": ["Only users who manage credit (Finance) may set credit limits."]},
        )


def _normalize(fields: dict[str, Any]) -> dict[str, Any]:
    """Codes (country, currency, payment term) are stored trimmed and in capitals."""
    for name in ("country", "currency", "code"):
        if name in fields:
            fields[name] = normalize_code(fields[name])
    return fields


def _check_vat(fields: dict[str, Any], customer: Customer | None = None) -> None:
    if "vat_id" in fields or "country" in fields:
        country = fields.get("country", customer.country if customer else "")
        fields["vat_id"] = clean_vat_id(fields.get("vat_id", customer.vat_id if customer else ""), country)


def _lock_customer(customer_id: int) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer_id)


@transaction.atomic
def customer_create(
    *, actor: AbstractBaseUser | None, shipping_addresses: list[dict[str, Any]] | tuple = (),
    contacts: list[dict[str, Any]] | tuple = (), **fields: Any,
) -> Customer:
    fields = _normalize(fields)
    _check_vat(fields)
    if fields.get("credit_limit") not in (None, ""):
        require_credit_manager(actor)
    number = next_number("C", 0)
    customer = record_create(Customer, {**fields, "number": f"C{number.value:05d}"},
                             allowed=(*CUSTOMER_FIELDS, "number"), actor=actor)
    for address in shipping_addresses:
        shipping_address_create(customer_id=customer.pk, actor=actor, **address)
    for contact in contacts:
        contact_create(customer_id=customer.pk, actor=actor, **contact)
    return customer


@transaction.atomic
def customer_update(*, customer_id: int, actor: AbstractBaseUser | None, **changes: Any) -> Customer:
    customer = _lock_customer(customer_id)
    changes = _normalize(changes)
    _check_vat(changes, customer)
    if "currency" in changes and changes["currency"] != customer.currency:
        from ..selectors import customer_has_documents

        if customer_has_documents(customer):
            raise Conflict("The currency of a customer with quotes or orders cannot change.",
                           code="currency_in_use", details={"currency": ["Already used on documents."]})
    return record_update(customer, changes, allowed=CUSTOMER_UPDATE_FIELDS, actor=actor)


@transaction.atomic
def customer_set_credit(
    *, customer_id: int, actor: AbstractBaseUser | None, credit_limit: Decimal | None = UNSET,
    credit_hold: bool | None = None, reason: str = "",
) -> Customer:
    """Finance: change the credit limit, put the customer on credit hold (with a reason) or lift it."""
    require_credit_manager(actor)
    customer = _lock_customer(customer_id)
    changes: dict[str, list[Any]] = {}
    if credit_limit is not UNSET:
        try:
            limit = (None if credit_limit in (None, "")
                     else parse_decimal(credit_limit, low=Decimal(0), high=None, places=2))
        except ValueError as exc:
            raise ValidationFailed(str(exc), details={"credit_limit": [str(exc)]}) from None
        if limit != customer.credit_limit:
            changes["credit_limit"] = [customer.credit_limit, limit]
            customer.credit_limit = limit
    new_reason = reason.strip()[:200]
    if credit_hold and customer.credit_hold and new_reason and new_reason != customer.credit_hold_reason:
        changes["credit_hold_reason"] = [customer.credit_hold_reason, new_reason]
        customer.credit_hold_reason = new_reason
    elif credit_hold is not None and credit_hold != customer.credit_hold:
        if credit_hold and not new_reason:
            raise ValidationFailed("Say why the customer goes on credit hold.",
                                   details={"reason": ["A reason is required."]})
        changes["credit_hold"] = [customer.credit_hold, credit_hold]
        customer.credit_hold = credit_hold
        customer.credit_hold_reason = new_reason if credit_hold else ""
        customer.credit_hold_by = actor if credit_hold and actor is not None and actor.is_authenticated else None
        customer.credit_hold_at = timezone.now() if credit_hold else None
    if changes:
        customer.save()
        audit_record(obj=customer, action="credit_changed", actor=actor,
                     data={"changes": changes, "reason": reason.strip()})
    return customer


def _child_audit(customer_id: int, action: str, actor: AbstractBaseUser | None, data: dict[str, Any]) -> None:
    audit_record(obj=Customer.objects.get(pk=customer_id), action=action, actor=actor, data=data)


def _clear_other_defaults(customer_id: int, fields: dict[str, Any], keep: int | None = None) -> None:
    if fields.get("is_default"):
        ShippingAddress.objects.filter(customer_id=customer_id, is_default=True).exclude(pk=keep).update(
            is_default=False)


@transaction.atomic
def shipping_address_create(*, customer_id: int, actor: AbstractBaseUser | None, **fields: Any) -> ShippingAddress:
    _lock_customer(customer_id)
    fields = _normalize(fields)
    if not ShippingAddress.objects.filter(customer_id=customer_id).exists():
        fields["is_default"] = True
    _clear_other_defaults(customer_id, fields)
    address = record_create(ShippingAddress, {**fields, "customer_id": customer_id},
                            allowed=(*ADDRESS_FIELDS, "customer_id"), actor=actor)
    _child_audit(customer_id, "address_added", actor, {"address": address.label})
    return address


@transaction.atomic
def shipping_address_update(*, address_id: int, actor: AbstractBaseUser | None, **changes: Any) -> ShippingAddress:
    address = ShippingAddress.objects.select_for_update().get(pk=address_id)
    _lock_customer(address.customer_id)
    changes = _normalize(changes)
    _clear_other_defaults(address.customer_id, changes, keep=address.pk)
    return record_update(address, changes, allowed=ADDRESS_FIELDS, actor=actor)


@transaction.atomic
def contact_create(*, customer_id: int, actor: AbstractBaseUser | None, **fields: Any) -> Contact:
    _lock_customer(customer_id)
    contact = record_create(Contact, {**fields, "customer_id": customer_id},
                            allowed=(*CONTACT_FIELDS, "customer_id"), actor=actor)
    _child_audit(customer_id, "contact_added", actor, {"contact": str(contact)})
    return contact


@transaction.atomic
def contact_update(*, contact_id: int, actor: AbstractBaseUser | None, **changes: Any) -> Contact:
    contact = Contact.objects.select_for_update().get(pk=contact_id)
    return record_update(contact, changes, allowed=CONTACT_FIELDS, actor=actor)


@transaction.atomic
def customer_child_delete(*, obj: ShippingAddress | Contact, actor: AbstractBaseUser | None) -> None:
    """Remove an address (unless an order uses it) or a contact; audited on the customer."""
    customer_id, label = obj.customer_id, str(obj)
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError:
        raise Conflict(f"{label} is used by orders and cannot be removed.", code="in_use") from None
    _child_audit(customer_id, f"{obj._meta.model_name}_removed", actor, {"removed": label})


@transaction.atomic
def price_list_set(
    *, customer_id: int, product: Product, unit_price: Any, actor: AbstractBaseUser | None,
) -> PriceListItem | None:
    """Set the customer's own price of a product; an empty price removes it."""
    _lock_customer(customer_id)
    if unit_price in (None, ""):
        PriceListItem.objects.filter(customer_id=customer_id, product=product).delete()
        _child_audit(customer_id, "price_removed", actor, {"product": product.sku})
        return None
    try:
        price = parse_decimal(unit_price, low=Decimal(0), high=None, places=2)
    except ValueError as exc:
        raise ValidationFailed(str(exc), details={"unit_price": [str(exc)]}) from None
    item, _ = PriceListItem.objects.update_or_create(customer_id=customer_id, product=product,
                                                     defaults={"unit_price": price})
    _child_audit(customer_id, "price_set", actor, {"product": product.sku, "unit_price": str(price)})
    return item


@transaction.atomic
def payment_term_create(*, actor: AbstractBaseUser | None, **fields: Any) -> PaymentTerm:
    return record_create(PaymentTerm, _normalize(fields), allowed=PAYMENT_TERM_FIELDS, actor=actor)


@transaction.atomic
def payment_term_update(*, payment_term_id: int, actor: AbstractBaseUser | None, **changes: Any) -> PaymentTerm:
    term = PaymentTerm.objects.select_for_update().get(pk=payment_term_id)
    return record_update(term, _normalize(changes), allowed=PAYMENT_TERM_FIELDS, actor=actor)


@transaction.atomic
def tax_rate_create(*, actor: AbstractBaseUser | None, **fields: Any) -> TaxRate:
    return record_create(TaxRate, _normalize(fields), allowed=TAX_RATE_FIELDS, actor=actor)


@transaction.atomic
def tax_rate_update(*, tax_rate_id: int, actor: AbstractBaseUser | None, **changes: Any) -> TaxRate:
    rate = TaxRate.objects.select_for_update().get(pk=tax_rate_id)
    return record_update(rate, _normalize(changes), allowed=TAX_RATE_FIELDS, actor=actor)

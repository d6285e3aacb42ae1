"""CSV import/export of customers (django-import-export), through the same services as every edit.

A row is matched by customer number: an existing number updates that customer, an empty number
creates a new one (the number is assigned by `customer_create`); a number that does not exist is a
row error. Values are checked with the model's `full_clean()` (country and currency codes, choices,
ranges), the VAT id with python-stdnum (`clean_vat_id`, inside the services), the payment term by its
code. Rows are saved by `customer_create` / `customer_update`, and a changed credit limit by
`customer_set_credit` (only for users who may manage credit), so an import is audited like any edit.
The admin runs the whole file in one transaction and rolls it back if any row is bad.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.core.exceptions import ValidationError
from import_export import fields, widgets

from inventory.models import normalize_code
from inventory.resources import ServiceResource, StrictBooleanWidget, StrictDecimalWidget
from o2c.errors import DomainError

from .models import Customer, PaymentTerm
from .pricing import clean_vat_id
from .services import customer_create, customer_set_credit, customer_update
from .services.customers import CUSTOMER_FIELDS, CUSTOMER_UPDATE_FIELDS

# The columns, in file order. `billing_address` is the address (lines separated by newlines, which
# CSV quotes); `payment_term` is the term's code.
COLUMNS = ("number", "legal_name", "vat_id", "country", "billing_address", "currency", "payment_term",
           "credit_limit", "invoicing_policy", "language", "discount_percent", "do_not_dun", "is_active")


class PaymentTermWidget(widgets.ForeignKeyWidget):
    """A payment term by its code; an unknown code is a row error naming the codes that exist."""

    def __init__(self) -> None:
        super().__init__(PaymentTerm, field="code")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> PaymentTerm | None:
        code = normalize_code("" if value is None else str(value))
        if not code:
            return None
        term = PaymentTerm.objects.filter(code__iexact=code).first()
        if term is None:
            known = ", ".join(PaymentTerm.objects.filter(is_active=True).values_list("code", flat=True)) or "none"
            raise ValueError(f"No payment term “{value}” (known: {known}).")
        return term


class UpperCharWidget(widgets.CharWidget):
    """Codes (country, currency) stored the way the services store them: trimmed, in capitals."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return normalize_code(super().clean(value, row=row, **kwargs))


class CustomerResource(ServiceResource):
    error_columns = COLUMNS
    saved_fields = ("number", "vat_id", "created_at", "updated_at")

    number = fields.Field(attribute="number", column_name="number", widget=widgets.CharWidget())
    country = fields.Field(attribute="country", column_name="country", widget=UpperCharWidget())
    currency = fields.Field(attribute="currency", column_name="currency", widget=UpperCharWidget())
    payment_term = fields.Field(attribute="payment_term", column_name="payment_term", widget=PaymentTermWidget())
    credit_limit = fields.Field(attribute="credit_limit", column_name="credit_limit", widget=StrictDecimalWidget())
    discount_percent = fields.Field(attribute="discount_percent", column_name="discount_percent",
                                    widget=StrictDecimalWidget())
    do_not_dun = fields.Field(attribute="do_not_dun", column_name="do_not_dun", widget=StrictBooleanWidget())
    is_active = fields.Field(attribute="is_active", column_name="is_active", widget=StrictBooleanWidget())

    class Meta:
        model = Customer
        fields = COLUMNS
        import_id_fields = ("number",)
        export_order = COLUMNS
        clean_model_instances = True  # full_clean(): codes, choices, ranges
        skip_unchanged = True  # an unchanged row is neither saved nor audited
        report_skipped = True
        use_transactions = True

    @classmethod
    def get_display_name(cls) -> str:
        return "Customers"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Customer.objects.select_related("payment_term").order_by("number")

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        """Numbers and VAT ids are matched and compared the way the services store them."""
        if "number" in row:
            row["number"] = normalize_code(str(row["number"] or ""))
        if row.get("vat_id") and row.get("country"):
            with suppress(DomainError):  # else left as given: the service names the problem on save
                row["vat_id"] = clean_vat_id(str(row["vat_id"]), normalize_code(str(row["country"])))

    def after_init_instance(self, instance: Customer, new: bool, row: Any, **kwargs: Any) -> None:
        if new and row.get("number"):
            raise ValidationError({"number": [f"No customer {row['number']}: leave the number empty to create "
                                              "a new customer (numbers are assigned)."]})

    def import_field(self, field: fields.Field, instance: Customer, row: Any, is_m2m: bool = False,
                     **kwargs: Any) -> None:
        if field.attribute == "number":
            return  # matched on, never written: numbers are assigned by customer_create
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def validate_instance(self, instance: Customer, import_validation_errors: Any = None,
                          validate_unique: bool = True) -> None:
        errors = dict(import_validation_errors or {})
        if instance.vat_id is None:
            instance.vat_id = ""
        try:
            # the number of a new customer is assigned when it is saved
            instance.full_clean(exclude=[*errors, "number"], validate_unique=validate_unique)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def save_through_service(self, instance: Customer, is_create: bool, actor: Any) -> Customer:
        """Numbered by customer_create; a changed credit limit goes through customer_set_credit (Finance)."""
        if is_create:
            return customer_create(actor=actor, **{name: getattr(instance, name) for name in CUSTOMER_FIELDS})
        current = Customer.objects.get(pk=instance.pk)
        changes = {name: getattr(instance, name) for name in CUSTOMER_UPDATE_FIELDS
                   if getattr(instance, name) != getattr(current, name)}
        saved = customer_update(customer_id=instance.pk, actor=actor, **changes) if changes else current
        if instance.credit_limit != current.credit_limit:
            saved = customer_set_credit(customer_id=instance.pk, actor=actor, credit_limit=instance.credit_limit,
                                        reason="CSV import")
        return saved

    def error_dict(self, err: DomainError) -> dict[str, list[str]]:
        errors = super().error_dict(err)
        if "vat_id" in errors:
            errors["vat_id"] = [err.message]  # "FR123 is not a valid VAT id for FR: …" says more than the detail
        return errors

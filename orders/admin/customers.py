"""Master data: payment terms, tax rates, customers with their addresses, contacts and prices."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from inventory.models import Product
from o2c.admin import AllOrNothingImport, DomainErrorsAsMessages, run_each, save_through_services
from o2c.errors import ValidationFailed, form_add_domain_error

from ..models import (
    Contact,
    Customer,
    PaymentTerm,
    PriceListItem,
    ShippingAddress,
    TaxRate,
)
from ..pricing import clean_vat_id
from ..resources import CustomerResource
from ..selectors import credit_position, customer_has_documents
from ..services import (
    contact_create,
    contact_update,
    customer_child_delete,
    customer_create,
    customer_set_credit,
    customer_update,
    payment_term_create,
    payment_term_update,
    price_list_set,
    shipping_address_create,
    shipping_address_update,
    tax_rate_create,
    tax_rate_update,
)
from ..services.customers import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    CREDIT_PERMISSION,
    CUSTOMER_FIELDS,
    CUSTOMER_UPDATE_FIELDS,
    PAYMENT_TERM_FIELDS,
    TAX_RATE_FIELDS,
)
from .common import (
    ask_reason,
    audit_history,
    upper_code,
)

CREDIT_FIELDS = ("credit_limit", "credit_hold", "credit_hold_reason")


# ---------------------------------------------------------------------------------------------
# Payment terms and tax rates


class PaymentTermAdminForm(forms.ModelForm):
    class Meta:
        model = PaymentTerm
        fields = list(PAYMENT_TERM_FIELDS)


@admin.register(PaymentTerm)
class PaymentTermAdmin(DomainErrorsAsMessages):
    form = PaymentTermAdminForm
    list_display = ["code", "name", "net_days", "end_of_month", "discount_percent", "discount_days", "is_active"]
    list_filter = ["is_active", "end_of_month"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # customers and invoices refer to it: deactivate instead

    def save_model(self, request: HttpRequest, obj: PaymentTerm, form: forms.ModelForm, change: bool) -> None:
        save_through_services(
            obj, form, change, request.user, fields=PAYMENT_TERM_FIELDS, create=payment_term_create,
            update=lambda pk, **kw: payment_term_update(payment_term_id=pk, **kw),
        )


class TaxRateAdminForm(forms.ModelForm):
    class Meta:
        model = TaxRate
        fields = list(TAX_RATE_FIELDS)

    def clean_country(self) -> str:
        return upper_code(self.cleaned_data.get("country"))


@admin.register(TaxRate)
class TaxRateAdmin(DomainErrorsAsMessages):
    """Validated and audited (as master data); closed with a "valid to" date rather than deleted."""

    form = TaxRateAdminForm
    list_display = ["country", "category", "rate", "valid_from", "valid_to", "name"]
    list_filter = ["country", "category"]
    search_fields = ["country", "name"]
    date_hierarchy = "valid_from"

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: TaxRate, form: forms.ModelForm, change: bool) -> None:
        save_through_services(
            obj, form, change, request.user, fields=TAX_RATE_FIELDS,
            create=tax_rate_create, update=lambda pk, **kw: tax_rate_update(tax_rate_id=pk, **kw),
        )


# ---------------------------------------------------------------------------------------------
# Customers and what belongs to them


def save_child(obj: ShippingAddress | Contact | PriceListItem, *, customer_id: int, actor: Any,
               changed: list[str] | None, was_product: Any = None) -> None:
    """Create (`changed` is None) or change an address, contact or price through its service. A price
    moved to another product removes the price of the product it had (`was_product`, an id)."""
    if isinstance(obj, PriceListItem):
        if changed is not None and "product" in changed and was_product:
            price_list_set(customer_id=customer_id, product=Product.objects.get(pk=was_product), unit_price=None,
                           actor=actor)
        saved = price_list_set(customer_id=customer_id, product=obj.product, unit_price=obj.unit_price, actor=actor)
    elif isinstance(obj, ShippingAddress):
        if changed is None:
            saved = shipping_address_create(customer_id=customer_id, actor=actor,
                                            **{f: getattr(obj, f) for f in ADDRESS_FIELDS})
        else:
            saved = shipping_address_update(address_id=obj.pk, actor=actor,
                                            **{f: getattr(obj, f) for f in changed if f in ADDRESS_FIELDS})
    else:
        if changed is None:
            saved = contact_create(customer_id=customer_id, actor=actor, **{f: getattr(obj, f) for f in CONTACT_FIELDS})
        else:
            saved = contact_update(contact_id=obj.pk, actor=actor,
                                   **{f: getattr(obj, f) for f in changed if f in CONTACT_FIELDS})
    if saved is not None:
        obj.pk = saved.pk


def delete_child(obj: ShippingAddress | Contact | PriceListItem, actor: Any) -> None:
    if isinstance(obj, PriceListItem):
        price_list_set(customer_id=obj.customer_id, product=obj.product, unit_price=None, actor=actor)
    else:
        customer_child_delete(obj=obj, actor=actor)


class ShippingAddressForm(forms.ModelForm):
    class Meta:
        model = ShippingAddress
        fields = ["customer", *ADDRESS_FIELDS]
        widgets = {"address": forms.Textarea(attrs={"rows": 3, "cols": 30})}

    def clean_country(self) -> str:
        return upper_code(self.cleaned_data.get("country"))

    def _get_validation_exclusions(self) -> set[str]:
        # one default per customer: the service moves the flag from the old default to the new one
        return {*super()._get_validation_exclusions(), "is_default"}


class ShippingAddressInline(admin.TabularInline):
    model = ShippingAddress
    form = ShippingAddressForm
    fields = list(ADDRESS_FIELDS)
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    fields = list(CONTACT_FIELDS)
    extra = 0


class PriceListItemInline(admin.TabularInline):
    model = PriceListItem
    fields = ["product", "unit_price"]
    autocomplete_fields = ["product"]
    extra = 0
    verbose_name = "own price"
    verbose_name_plural = "price list (the customer's own prices, in its currency)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[PriceListItem]:
        return super().get_queryset(request).select_related("product")


class CustomerAdminForm(forms.ModelForm):
    """Checks what the services check (VAT id, currency in use, a reason for a credit hold)."""

    class Meta:
        model = Customer
        fields = [*CUSTOMER_FIELDS, "credit_hold", "credit_hold_reason"]
        widgets = {"billing_address": forms.Textarea(attrs={"rows": 3, "cols": 40})}

    def clean_country(self) -> str:
        return upper_code(self.cleaned_data.get("country"))

    def clean_currency(self) -> str:
        currency = upper_code(self.cleaned_data.get("currency"))
        if self.instance.pk and currency != self.instance.currency and customer_has_documents(self.instance):
            raise ValidationError("The currency of a customer with quotes or orders cannot change.")
        return currency

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "vat_id" in self.fields and data.get("country") and "vat_id" in data:
            try:
                data["vat_id"] = clean_vat_id(data["vat_id"] or "", data["country"])
            except ValidationFailed as err:
                form_add_domain_error(self, err)
        if "credit_hold" in self.fields and data.get("credit_hold") and not (data.get("credit_hold_reason") or
                                                                             "").strip():
            self.add_error("credit_hold_reason", "Say why the customer goes on credit hold.")
        return data


@admin.register(Customer)
class CustomerAdmin(DomainErrorsAsMessages, AllOrNothingImport):
    form = CustomerAdminForm
    resource_classes = [CustomerResource]
    list_display = ["number", "legal_name", "country", "vat_id", "currency", "payment_term", "credit_limit",
                    "open_balance", "credit_hold", "invoicing_policy", "is_active"]
    list_display_links = ["number", "legal_name"]
    list_filter = ["is_active", "credit_hold", "country", "currency", "invoicing_policy", "language", "payment_term"]
    list_select_related = ["payment_term"]
    search_fields = ["number", "legal_name", "vat_id"]
    fieldsets = [
        (None, {"fields": ["number", "legal_name", "vat_id", "country", "billing_address", "is_active"]}),
        ("Sales terms", {"fields": ["currency", "payment_term", "discount_percent", "invoicing_policy", "language",
                                    "do_not_dun"]}),
        ("Credit", {"fields": ["credit_limit", "credit_hold", "credit_hold_reason", "credit_hold_by",
                               "credit_hold_at", "open_balance", "credit"]}),
        ("Record", {"fields": ["created_at", "updated_at", "history"], "classes": ["collapse"]}),
    ]
    readonly_fields = ["number", "credit_hold_by", "credit_hold_at", "open_balance", "credit", "created_at",
                       "updated_at", "history"]
    inlines = [ShippingAddressInline, ContactInline, PriceListItemInline]
    actions = ["activate", "deactivate", "put_on_credit_hold", "lift_credit_hold"]

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm(CREDIT_PERMISSION):
            fields += list(CREDIT_FIELDS)  # Finance's: shown, not editable
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # documents refer to customers: deactivate instead

    def has_credit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(CREDIT_PERMISSION)

    @admin.display(description="credit position")
    def credit(self, obj: Customer) -> str:
        if obj.pk is None:
            return "—"
        position = credit_position(obj)
        headroom = "no limit" if position.headroom is None else f"headroom {position.headroom} {obj.currency}"
        return (f"exposure {position.exposure} {obj.currency} (open balance {position.open_balance} + open orders "
                f"{position.open_orders}); {headroom}")

    @admin.display(description="history")
    def history(self, obj: Customer) -> str:
        return audit_history(obj)

    def save_model(self, request: HttpRequest, obj: Customer, form: forms.ModelForm, change: bool) -> None:
        actor = request.user
        if change:
            changes = {name: getattr(obj, name) for name in form.changed_data if name in CUSTOMER_UPDATE_FIELDS}
            if changes:
                customer_update(customer_id=obj.pk, actor=actor, **changes)
        else:
            saved = customer_create(actor=actor, **{n: getattr(obj, n) for n in CUSTOMER_FIELDS if n in form.fields})
            obj.pk = saved.pk
        credit: dict[str, Any] = {}
        if change and "credit_limit" in form.changed_data:
            credit["credit_limit"] = obj.credit_limit
        if "credit_hold" in form.changed_data or (obj.credit_hold and "credit_hold_reason" in form.changed_data):
            credit["credit_hold"] = obj.credit_hold  # on hold already: the service records the new reason
        if credit:
            customer_set_credit(customer_id=obj.pk, actor=actor, reason=obj.credit_hold_reason or "", **credit)
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: forms.BaseInlineFormSet,
                     change: bool) -> None:
        """Addresses, contacts and prices through their services: removals first, then changes, then
        additions (so a removed default address does not collide with the new one)."""
        formset.save(commit=False)  # sets new_objects, changed_objects, deleted_objects for the log
        actor, customer_id = request.user, form.instance.pk
        for obj in formset.deleted_objects:
            delete_child(obj, actor)
        was_product = {f.instance.pk: f.initial.get("product") for f in formset.initial_forms}
        for obj, changed in formset.changed_objects:
            save_child(obj, customer_id=customer_id, actor=actor, changed=changed, was_product=was_product.get(obj.pk))
        for obj in formset.new_objects:
            save_child(obj, customer_id=customer_id, actor=actor, changed=None)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Customer], active: bool) -> None:
        run_each(self, request, queryset.filter(is_active=not active), "Activated" if active else "Deactivated",
                 lambda c: customer_update(customer_id=c.pk, actor=request.user, is_active=active))

    @admin.action(description="Activate selected customers", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        self._set_active(request, queryset, True)

    @admin.action(description="Deactivate selected customers", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description="Put on credit hold…", permissions=["credit"])
    def put_on_credit_hold(self, request: HttpRequest, queryset: QuerySet[Customer]) -> HttpResponse | None:
        reason = ask_reason(self, request, queryset, action="put_on_credit_hold",
                            title="Why do these customers go on credit hold?")
        if not isinstance(reason, str):
            return reason
        run_each(self, request, queryset, "Put on credit hold",
                 lambda c: customer_set_credit(customer_id=c.pk, actor=request.user, credit_hold=True,
                                               reason=reason))
        return None

    @admin.action(description="Lift the credit hold", permissions=["credit"])
    def lift_credit_hold(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        run_each(self, request, queryset.filter(credit_hold=True), "Credit hold lifted",
                 lambda c: customer_set_credit(customer_id=c.pk, actor=request.user, credit_hold=False))


class CustomerChildAdmin(DomainErrorsAsMessages):
    """Addresses, contacts and prices on their own pages: saved and removed through the services."""

    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list[str]:
        return ["customer"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        save_child(obj, customer_id=obj.customer_id, actor=request.user,
                   changed=list(form.changed_data) if change else None, was_product=form.initial.get("product"))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        delete_child(obj, request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset.order_by("pk"):
            delete_child(obj, request.user)


@admin.register(ShippingAddress)
class ShippingAddressAdmin(CustomerChildAdmin):
    form = ShippingAddressForm
    list_display = ["label", "customer", "recipient", "country", "is_default"]
    list_filter = ["country", "is_default"]
    search_fields = ["label", "recipient", "address", "customer__number", "customer__legal_name"]


@admin.register(Contact)
class ContactAdmin(CustomerChildAdmin):
    list_display = ["name", "email", "phone", "role", "customer"]
    list_filter = ["role"]
    search_fields = ["name", "email", "customer__number", "customer__legal_name"]
    fields = ["customer", *CONTACT_FIELDS]


@admin.register(PriceListItem)
class PriceListItemAdmin(CustomerChildAdmin):
    list_display = ["customer", "product", "unit_price", "currency"]
    list_select_related = ["customer", "product"]
    list_filter = ["customer__currency"]
    search_fields = ["customer__number", "customer__legal_name", "product__sku", "product__name"]
    autocomplete_fields = ["customer", "product"]
    fields = ["customer", "product", "unit_price"]

    @admin.display(description="currency", ordering="customer__currency")
    def currency(self, obj: PriceListItem) -> str:
        return obj.customer.currency

"""Customer pages: the list, the customer's page (addresses, contacts, credit, documents, history),
the create/edit form, and Finance's credit controls."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import TemplateView

from o2c.audit import timeline
from o2c.errors import call_for_form
from o2c.panels import panels_for
from o2c.views import paginate

from ..forms import ContactForm, CreditForm, CustomerForm, ShippingAddressForm
from ..models import Customer
from ..selectors import credit_position, customer_list, order_list, quote_list
from ..services import contact_create, customer_create, customer_set_credit, customer_update, shipping_address_create
from .common import CUSTOMERS_PER_PAGE, RECENT_DOCUMENTS

LOOKUP_LIMIT = 20


class CustomerListView(PermissionRequiredMixin, TemplateView):
    permission_required = "orders.view_customer"
    raise_exception = True
    template_name = "orders/customer_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        q = self.request.GET.get("q", "").strip()
        page_obj = paginate(self.request, customer_list(search=q), CUSTOMERS_PER_PAGE)
        return {**super().get_context_data(**kwargs), "q": q, "page_obj": page_obj}


class CustomerLookupView(PermissionRequiredMixin, View):
    """JSON for the customer pickers (Tom Select): active customers by number, name or VAT id."""

    permission_required = "orders.view_customer"
    raise_exception = True

    def get(self, request: HttpRequest) -> JsonResponse:
        q = request.GET.get("q", "").strip()
        customers = customer_list(search=q, active=True).order_by("legal_name")[:LOOKUP_LIMIT]
        return JsonResponse({"results": [
            {"id": c.pk, "number": c.number, "name": c.legal_name, "vat": c.vat_id, "currency": c.currency,
             "country": c.country, "hold": c.credit_hold}
            for c in customers
        ]})


def _customer_context(
    request: HttpRequest, customer: Customer, *, bound: forms.BaseForm | None = None,
) -> dict[str, Any]:
    user = request.user
    forms_: dict[str, forms.BaseForm | None] = {
        "address_form": ShippingAddressForm() if user.has_perm("orders.add_shippingaddress") else None,
        "contact_form": ContactForm() if user.has_perm("orders.add_contact") else None,
        "credit_form": CreditForm.for_customer(customer) if user.has_perm("orders.manage_credit") else None,
    }
    if bound is not None:
        key = {ShippingAddressForm: "address_form", ContactForm: "contact_form", CreditForm: "credit_form"}[type(bound)]
        forms_[key] = bound
    return {
        "customer": customer,
        "addresses": list(customer.shipping_addresses.all()),
        "contacts": list(customer.contacts.all()),
        "credit": credit_position(customer),
        "orders": list(order_list(customer=customer)[:RECENT_DOCUMENTS]),
        "quotes": list(quote_list(customer=customer)[:RECENT_DOCUMENTS]),
        "timeline": timeline(customer),
        "panels": panels_for(customer, request),  # what downstream apps add (receivables: the account)
        "can_edit": user.has_perm("orders.change_customer"),
        "can_sell": user.has_perm("orders.add_salesorder"),
        "address_failed": isinstance(bound, ShippingAddressForm),
        "contact_failed": isinstance(bound, ContactForm),
        **forms_,
    }


def _customer(pk: int) -> Customer:
    return get_object_or_404(Customer.objects.select_related("payment_term", "credit_hold_by"), pk=pk)


class CustomerDetailView(PermissionRequiredMixin, View):
    permission_required = "orders.view_customer"
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "orders/customer_detail.html", _customer_context(request, _customer(pk)))


class CustomerFormView(PermissionRequiredMixin, View):
    """Create a customer with its first ship-to address and contact, or edit one's master data."""

    raise_exception = True

    def get_permission_required(self) -> list[str]:
        return ["orders.change_customer" if "pk" in self.kwargs else "orders.add_customer"]

    def _render(self, request: HttpRequest, customer: Customer | None, form: CustomerForm,
                address: ShippingAddressForm | None, contact: ContactForm | None, status: int = 200) -> HttpResponse:
        return render(request, "orders/customer_form.html", {
            "customer": customer, "form": form, "address_form": address, "contact_form": contact,
        }, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        if pk is None:
            return self._render(request, None, CustomerForm(), ShippingAddressForm(), ContactForm())
        customer = _customer(pk)
        return self._render(request, customer, CustomerForm(instance=customer), None, None)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        if pk is not None:
            customer = _customer(pk)
            form = CustomerForm(request.POST, instance=customer)
            saved = None
            if form.is_valid():
                saved = call_for_form(form, customer_update, customer_id=customer.pk, actor=request.user,
                                      **form.service_kwargs())
            if saved is None:
                return self._render(request, _customer(pk), form, None, None, status=400)
            messages.success(request, f"Customer {saved.number} {saved.legal_name} saved.")
            return redirect("orders:customer-detail", pk=saved.pk)

        form = CustomerForm(request.POST)
        address, contact = ShippingAddressForm(request.POST), ContactForm(request.POST)
        saved = None
        if all([form.is_valid(), address.is_valid(), contact.is_valid()]):
            saved = call_for_form(form, customer_create, actor=request.user,
                                  shipping_addresses=[address.service_kwargs()], contacts=[contact.service_kwargs()],
                                  **form.service_kwargs())
        if saved is None:
            return self._render(request, None, form, address, contact, status=400)
        messages.success(request, f"Customer {saved.number} {saved.legal_name} created.")
        return redirect("orders:customer-detail", pk=saved.pk)


class CustomerChildView(PermissionRequiredMixin, View):
    """Add a ship-to address or a contact (the forms live on the customer's page)."""

    raise_exception = True
    kind = ""
    KINDS: dict[str, tuple[str, type[forms.ModelForm], Any, str]] = {
        "address": ("orders.add_shippingaddress", ShippingAddressForm, shipping_address_create, "Address"),
        "contact": ("orders.add_contact", ContactForm, contact_create, "Contact"),
    }

    def get_permission_required(self) -> list[str]:
        return [self.KINDS[self.kind][0]]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        customer = _customer(pk)
        _, form_class, service, label = self.KINDS[self.kind]
        form = form_class(request.POST)
        saved = None
        if form.is_valid():
            saved = call_for_form(form, service, customer_id=customer.pk, actor=request.user,
                                  **form.service_kwargs())  # type: ignore[attr-defined]
        if saved is None:
            return render(request, "orders/customer_detail.html", _customer_context(request, customer, bound=form),
                          status=400)
        messages.success(request, f"{label} “{saved}” added.")
        return redirect("orders:customer-detail", pk=customer.pk)


class CustomerCreditView(PermissionRequiredMixin, View):
    """Finance: set the credit limit, put the customer on credit hold or lift it."""

    permission_required = "orders.manage_credit"
    raise_exception = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        customer = _customer(pk)
        form = CreditForm(request.POST)
        saved = None
        if form.is_valid():
            saved = call_for_form(form, customer_set_credit, customer_id=customer.pk, actor=request.user,
                                  **form.service_kwargs())
        if saved is None:
            return render(request, "orders/customer_detail.html", _customer_context(request, customer, bound=form),
                          status=400)
        limit = f"{saved.credit_limit} {saved.currency}" if saved.credit_limit is not None else "none"
        hold = f"on credit hold ({saved.credit_hold_reason})" if saved.credit_hold else "not on hold"
        messages.success(request, f"Credit of {saved.number} saved: limit {limit}, {hold}.")
        return redirect("orders:customer-detail", pk=customer.pk)

"""What the fulfillment pages share: calling a service for a form, PDFs, list query strings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse

from inventory.models import Warehouse
from o2c.errors import DomainError

T = TypeVar("T")

SHIPMENTS_PER_PAGE = 50
RETURNS_PER_PAGE = 50
LATE_PER_PAGE = 25


def call_service(form: forms.BaseForm, service: Callable[..., T], **kwargs: Any) -> T | None:
    """Run a service for a browser form; a refusal becomes form errors and None: the service's message
    on top, and the details on the fields they name (and each line when it lists several)."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        form.add_error(None, "; ".join(exc.messages))
    except DomainError as err:
        form.add_error(None, err.message)
        for field, messages in err.details.items():
            listed = list(messages) if isinstance(messages, list | tuple) else [messages]
            if field in form.fields:
                for message in listed:
                    form.add_error(field, str(message))
            elif field == "lines" and len(listed) > 1:
                for message in listed:
                    form.add_error(None, str(message))
    return None


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """A PDF the browser shows in a tab (to print), named for saving."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"?{encoded}&" if encoded else "?"


def active_warehouses() -> list[Warehouse]:
    return list(Warehouse.objects.filter(is_active=True).order_by("code"))

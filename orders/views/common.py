"""What the sales pages share: redirects after an action, and errors of a small action form."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from o2c.errors import DomainError

ORDERS_PER_PAGE = 50
QUOTES_PER_PAGE = 50
CUSTOMERS_PER_PAGE = 50
QUEUE_PER_PAGE = 25
RECENT_DOCUMENTS = 10


def back_to(request: HttpRequest, default: str, *args: object) -> HttpResponse:
    """Redirect to the safe `next` the action form carried, else to `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect(default, *args)


def form_errors_text(form: forms.BaseForm) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def run_action(request: HttpRequest, form: forms.BaseForm | None, service: object, **kwargs: object) -> object:
    """Validate the action's form and run the service; a refusal becomes an error message. The result, or None."""
    if form is not None and not form.is_valid():
        messages.error(request, form_errors_text(form))
        return None
    try:
        result = service(**kwargs)  # type: ignore[operator]
    except DomainError as err:
        messages.error(request, err.message)
        return None
    return result

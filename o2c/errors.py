"""Domain errors (a code, a human message, details) and the one place that turns them into 4xx.

Services raise these; the DRF exception handler and `form_add_domain_error()` render them, so the
API and the browser show the same message for the same mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

T = TypeVar("T")
NON_FIELD = "__all__"


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self, message: str, *, code: str | None = None, details: Mapping[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.details = dict(details or {})
        self.status = status or self.status

    def as_body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


class ValidationFailed(DomainError):
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class Unprocessable(DomainError):
    status = 422
    code = "unprocessable"


def error_body(code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The one shape of every 4xx body: {"error": {"code", "message", "details"}}."""
    return {"error": {"code": code, "message": message, "details": dict(details or {})}}


def _from_django_validation(exc: DjangoValidationError) -> DomainError:
    details = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
    return ValidationFailed("; ".join(exc.messages), details=details)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = _from_django_validation(exc)
    if isinstance(exc, DomainError):
        return Response(exc.as_body(), status=exc.status)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_default_handler(exc, context)
    if response is None or not isinstance(exc, drf_exceptions.APIException):
        return response
    if isinstance(exc, drf_exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {NON_FIELD: exc.detail}
        response.data = error_body("validation_error", "The request is not valid.", detail)
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = error_body(str(code), str(exc.detail))
    return response


def form_add_domain_error(form: forms.BaseForm, err: DomainError) -> None:
    """Show a domain error on a form: its message on top, each detail on the field it names, and the
    problems that name no field (the model's own, or several, e.g. one per order line) on top as well."""
    form.add_error(None, err.message)
    for field, messages in err.details.items():
        listed = list(messages) if isinstance(messages, list | tuple) else [messages]
        if field in form.fields:
            for message in listed:
                form.add_error(field, str(message))
        elif field == NON_FIELD or (len(listed) > 1 and all(isinstance(m, str) for m in listed)):
            for message in listed:
                if message != err.message:
                    form.add_error(None, str(message))


def call_for_form(form: forms.BaseForm, service: Callable[..., T], **kwargs: Any) -> T | None:
    """Run a service for a browser form; a domain error becomes form errors and None."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        form_add_domain_error(form, _from_django_validation(exc))
    except DomainError as err:
        form_add_domain_error(form, err)
    return None


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """404 for URLs under /api/ that match no route, in the API's error shape."""
    return JsonResponse(error_body("not_found", "No such endpoint."), status=404)

"""Base classes for every API view in the project: idempotent POSTs, one error shape, writes
through services."""

from collections.abc import Callable
from typing import Any

from django.db import models
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from ..money import MONEY_DIGITS, QUANTITY_DIGITS
from .idempotency import IdempotentMixin


def validated(serializer_class: type[Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
    """Validate `data` with the serializer (a 400 in the one error shape otherwise); its data as a dict."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def Money(**kwargs: Any) -> serializers.DecimalField:
    """An amount: a decimal string with 2 places (o2c.money)."""
    return serializers.DecimalField(**MONEY_DIGITS, **kwargs)


def Quantity(**kwargs: Any) -> serializers.DecimalField:
    """A quantity: a decimal string with up to 3 places (o2c.money)."""
    return serializers.DecimalField(**QUANTITY_DIGITS, **kwargs)


class O2CGenericViewSet(IdempotentMixin, viewsets.GenericViewSet):
    pass


class O2CReadOnlyViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet):
    """Reads, plus POST actions (`@action`) that call services."""


class O2CModelViewSet(IdempotentMixin, viewsets.ModelViewSet):
    pass


class ServiceWriteMixin:
    """POST / PUT / PATCH validated by the serializer, saved by the entity's services, never by
    `serializer.save()`: the API keeps the same rules and audit as the browser and the admin.

    Set `create_service = staticmethod(entity_create)`, `update_service = staticmethod(entity_update)`
    and `update_id` (the update service's id keyword, e.g. "product_id").
    """

    create_service: Callable[..., models.Model]
    update_service: Callable[..., models.Model]
    update_id: str

    def _validated(self, request: Request, **kwargs: Any) -> dict[str, Any]:
        return validated(self.get_serializer_class(), request.data,  # type: ignore[attr-defined]
                         context=self.get_serializer_context(), **kwargs)  # type: ignore[attr-defined]

    def respond(self, saved: models.Model, code: int = status.HTTP_200_OK) -> Response:
        """The record as the list and detail read it (the view's queryset: its joins and prefetches)."""
        fresh = self.get_queryset().get(pk=saved.pk)  # type: ignore[attr-defined]
        return Response(self.get_serializer(fresh).data, status=code)  # type: ignore[attr-defined]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        saved = self.create_service(actor=request.user, **self._validated(request))
        return self.respond(saved, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, partial: bool = False, **kwargs: Any) -> Response:
        instance = self.get_object()  # type: ignore[attr-defined]
        data = self._validated(request, instance=instance, partial=partial)
        saved = self.update_service(**{self.update_id: instance.pk}, actor=request.user, **data)
        return self.respond(saved)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

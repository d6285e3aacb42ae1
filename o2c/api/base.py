"""Base classes for every API view in the project: idempotent POSTs, one error shape."""

from rest_framework import viewsets

from .idempotency import IdempotentMixin


class O2CGenericViewSet(IdempotentMixin, viewsets.GenericViewSet):
    pass


class O2CReadOnlyViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet):
    """Reads, plus POST actions (`@action`) that call services."""


class O2CModelViewSet(IdempotentMixin, viewsets.ModelViewSet):
    pass

"""Base classes for every API view in the project: idempotent POSTs, one error shape."""

from rest_framework import generics, mixins, viewsets

from .idempotency import IdempotentMixin


class O2CGenericViewSet(IdempotentMixin, viewsets.GenericViewSet):
    pass


class O2CReadOnlyViewSet(IdempotentMixin, viewsets.ReadOnlyModelViewSet):
    pass


class O2CCreateListRetrieveViewSet(
    IdempotentMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    pass


class O2CAPIView(IdempotentMixin, generics.GenericAPIView):
    pass

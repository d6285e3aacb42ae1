"""API permissions: a logged-in user whose role grants the model permission for the method."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import permissions

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class RolePermission(permissions.DjangoModelPermissions):
    """Model permissions for every method (reads need `view_`); `action_permissions` for actions.

    A plain APIView needs only a login, unless it names `required_permissions`.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        action = getattr(view, "action", None)
        explicit: dict[str, list[str]] = getattr(view, "action_permissions", {})
        if action in explicit:
            return user.has_perms(explicit[action])
        if not hasattr(view, "get_queryset"):  # a plain APIView, no model behind it
            return user.has_perms(getattr(view, "required_permissions", ()))
        return super().has_permission(request, view)


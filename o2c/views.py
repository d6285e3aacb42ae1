"""Browser pages of the kernel and the wiring: home, audit log, outbox, webhooks, workspaces."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin, UserPassesTestMixin
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import TemplateView

from . import selectors, webhooks
from .audit import timeline
from .errors import DomainError, call_for_form
from .forms import WebhookEndpointForm
from .models import OutboxEvent, WebhookEndpoint


def paginate(request: HttpRequest, queryset: Any, per_page: int = 50) -> Page:
    """The page of `queryset` named by ?page= (the last page when out of range)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The list page's query string without ?page=, ready for "…&page=N" links."""
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"?{encoded}&" if encoded else "?"


def pdf_response(content: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    """A PDF download (or, `inline`, shown in a browser tab to print), named for saving."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


class RoleWorkspaceView(UserPassesTestMixin, TemplateView):
    """A stage's landing page for its role: the team's recent activity in that stage."""

    template_name = "o2c/workspace.html"
    title = ""
    role = ""
    app_labels: list[str] = []
    intro = ""

    def test_func(self) -> bool:
        user = self.request.user
        return user.is_superuser or user.groups.filter(name=self.role).exists()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title, role=self.role, intro=self.intro,
            activity=paginate(self.request, selectors.recent_activity(app_labels=self.app_labels), 25),
        )
        return context


class AuditLogView(PermissionRequiredMixin, TemplateView):
    permission_required = "o2c.view_auditevent"
    raise_exception = True
    template_name = "o2c/audit_log.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        qs = selectors.recent_activity()
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(object_repr__icontains=q) | qs.filter(action__icontains=q)
        return {**super().get_context_data(**kwargs), "q": q, "page_obj": paginate(self.request, qs)}


class EventListView(PermissionRequiredMixin, TemplateView):
    permission_required = "o2c.view_outboxevent"
    raise_exception = True
    template_name = "o2c/event_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "health": selectors.outbox_health(),
            "page_obj": paginate(self.request, OutboxEvent.objects.all()),
        }


class WebhookListView(PermissionRequiredMixin, TemplateView):
    permission_required = "o2c.view_webhookendpoint"
    raise_exception = True
    template_name = "o2c/webhook_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "endpoints": selectors.webhook_endpoints_with_stats()}


class WebhookDetailView(PermissionRequiredMixin, TemplateView):
    permission_required = "o2c.view_webhookendpoint"
    raise_exception = True
    template_name = "o2c/webhook_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        endpoint = get_object_or_404(WebhookEndpoint, pk=kwargs["pk"])
        deliveries = endpoint.deliveries.select_related("event").order_by("-created_at")
        return {
            **super().get_context_data(**kwargs), "endpoint": endpoint,
            "deliveries": paginate(self.request, deliveries, 25), "timeline": timeline(endpoint),
        }


class WebhookFormView(PermissionRequiredMixin, View):
    """Create (no pk) or edit (pk) an endpoint through the same services as the API."""

    raise_exception = True

    def get_permission_required(self) -> list[str]:
        return ["o2c.change_webhookendpoint" if "pk" in self.kwargs else "o2c.add_webhookendpoint"]

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk) if pk else None
        form = WebhookEndpointForm.for_endpoint(endpoint) if endpoint else WebhookEndpointForm()
        return render(request, "o2c/webhook_form.html", {"form": form, "endpoint": endpoint})

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk) if pk else None
        form = WebhookEndpointForm(request.POST)
        if form.is_valid():
            if endpoint is None:
                saved = call_for_form(form, webhooks.webhook_endpoint_create, actor=request.user,
                                      **form.service_kwargs())
            else:
                saved = call_for_form(form, webhooks.webhook_endpoint_update, endpoint_id=endpoint.pk,
                                      actor=request.user, **form.service_kwargs())
            if saved is not None:
                messages.success(request, f"Webhook endpoint “{saved.name}” saved.")
                return redirect("webhook-detail", pk=saved.pk)
        return render(request, "o2c/webhook_form.html", {"form": form, "endpoint": endpoint}, status=400)


class WebhookActionView(PermissionRequiredMixin, View):
    permission_required = "o2c.change_webhookendpoint"
    raise_exception = True
    actions = {
        "ping": (webhooks.webhook_endpoint_ping, "Test event sent; the delivery is below."),
        "rotate-secret": (webhooks.webhook_endpoint_rotate_secret, "A new secret was generated."),
    }

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        if action not in self.actions:
            messages.error(request, f"Unknown action “{action}”.")
            return redirect("webhook-detail", pk=pk)
        service, done = self.actions[action]
        try:
            service(endpoint_id=endpoint.pk, actor=request.user)
            messages.success(request, done)
        except DomainError as err:
            messages.error(request, err.message)
        return redirect("webhook-detail", pk=pk)


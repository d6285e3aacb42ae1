"""The root URLconf (wiring): every app's pages and its part of /api/v1/."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

import billing.api.urls
import fulfillment.api.urls
import insight.api.urls
import inventory.api.urls
import orders.api.urls
import receivables.api.urls
from insight import views as insight_views
from o2c import views
from o2c.api import urls as kernel_api
from o2c.errors import api_not_found

router = DefaultRouter()
for module in (kernel_api, inventory.api.urls, orders.api.urls, fulfillment.api.urls, billing.api.urls,
               receivables.api.urls, insight.api.urls):
    module.register(router)

api_patterns = [
    path("v1/", include((router.urls, "api"))),  # names: api:webhook-list, …
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
         name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^.*$", api_not_found),
]

urlpatterns = [
    path("", insight_views.HomeView.as_view(), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("activity/", views.AuditLogView.as_view(), name="audit-log"),
    path("events/", views.EventListView.as_view(), name="event-list"),
    path("webhooks/", views.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/new/", views.WebhookFormView.as_view(), name="webhook-create"),
    path("webhooks/<int:pk>/", views.WebhookDetailView.as_view(), name="webhook-detail"),
    path("webhooks/<int:pk>/edit/", views.WebhookFormView.as_view(), name="webhook-edit"),
    path("webhooks/<int:pk>/<slug:action>/", views.WebhookActionView.as_view(), name="webhook-action"),
    path("inventory/", include("inventory.urls")),
    path("orders/", include("orders.urls")),
    path("fulfillment/", include("fulfillment.urls")),
    path("billing/", include("billing.urls")),
    path("receivables/", include("receivables.urls")),
    path("insight/", include("insight.urls")),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

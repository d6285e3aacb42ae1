from django.urls import path

from . import views

app_name = "insight"

urlpatterns = [
    path("kpis/", views.KpiView.as_view(), name="kpis"),
    path("forecast/", views.ForecastView.as_view(), name="forecast"),
    path("priorities/", views.PrioritiesView.as_view(), name="priorities"),
]

from django.urls import path

from . import views

app_name = "inventory"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="product-detail"),
    path("products/<int:pk>/receive/", views.StockActionView.as_view(action="receive"), name="product-receive"),
    path("products/<int:pk>/adjust/", views.StockActionView.as_view(action="adjust"), name="product-adjust"),
    path("products/<int:pk>/transfer/", views.StockActionView.as_view(action="transfer"), name="product-transfer"),
    path("receipts/<int:pk>/receive/", views.ReceiptReceiveView.as_view(), name="receipt-receive"),
    path("replenishment/", views.ReplenishmentView.as_view(), name="replenishment"),
    path("replenishment/run/", views.ReplenishmentRunView.as_view(), name="replenishment-run"),
    path("replenishment/<int:pk>/mark-ordered/", views.ReplenishmentActionView.as_view(action="mark-ordered"),
         name="replenishment-mark-ordered"),
    path("replenishment/<int:pk>/cancel/", views.ReplenishmentActionView.as_view(action="cancel"),
         name="replenishment-cancel"),
]

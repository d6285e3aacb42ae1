from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    # customers
    path("customers/", views.CustomerListView.as_view(), name="customer-list"),
    path("customers/new/", views.CustomerFormView.as_view(), name="customer-create"),
    path("customers/lookup/", views.CustomerLookupView.as_view(), name="customer-lookup"),
    path("customers/<int:pk>/", views.CustomerDetailView.as_view(), name="customer-detail"),
    path("customers/<int:pk>/edit/", views.CustomerFormView.as_view(), name="customer-edit"),
    path("customers/<int:pk>/addresses/", views.CustomerChildView.as_view(kind="address"), name="customer-address-add"),
    path("customers/<int:pk>/contacts/", views.CustomerChildView.as_view(kind="contact"), name="customer-contact-add"),
    path("customers/<int:pk>/credit/", views.CustomerCreditView.as_view(), name="customer-credit"),
    # order entry (orders and quotes), its htmx lines and the product autocomplete
    path("new/", views.EntryView.as_view(kind="order"), name="order-create"),
    path("entry/lines/", views.EntryLinesView.as_view(), name="entry-lines"),
    path("entry/products/", views.ProductLookupView.as_view(), name="product-lookup"),
    # sales orders
    path("list/", views.OrderListView.as_view(), name="order-list"),
    path("<int:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("<int:pk>/edit/", views.EntryView.as_view(kind="order"), name="order-edit"),
    path("<int:pk>/confirm/", views.OrderActionView.as_view(action="confirm"), name="order-confirm"),
    path("<int:pk>/cancel/", views.OrderActionView.as_view(action="cancel"), name="order-cancel"),
    path("<int:pk>/release/", views.OrderActionView.as_view(action="release"), name="order-release"),
    path("<int:pk>/reject/", views.OrderActionView.as_view(action="reject"), name="order-reject"),
    path("<int:pk>/pdf/", views.OrderPdfView.as_view(), name="order-pdf"),
    # quotes
    path("quotes/", views.QuoteListView.as_view(), name="quote-list"),
    path("quotes/new/", views.EntryView.as_view(kind="quote"), name="quote-create"),
    path("quotes/<int:pk>/", views.QuoteDetailView.as_view(), name="quote-detail"),
    path("quotes/<int:pk>/edit/", views.EntryView.as_view(kind="quote"), name="quote-edit"),
    path("quotes/<int:pk>/send/", views.QuoteActionView.as_view(action="send"), name="quote-send"),
    path("quotes/<int:pk>/accept/", views.QuoteActionView.as_view(action="accept"), name="quote-accept"),
    path("quotes/<int:pk>/reject/", views.QuoteActionView.as_view(action="reject"), name="quote-reject"),
    path("quotes/<int:pk>/pdf/", views.QuotePdfView.as_view(), name="quote-pdf"),
    # Finance
    path("credit/", views.CreditQueueView.as_view(), name="credit-queue"),
]

from django.urls import path

from . import views

app_name = "billing"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    # invoices
    path("invoices/", views.InvoiceListView.as_view(), name="invoice-list"),
    path("invoices/<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice-detail"),
    path("invoices/<int:pk>/issue/", views.InvoiceActionView.as_view(action="issue"), name="invoice-issue"),
    path("invoices/<int:pk>/discard/", views.InvoiceActionView.as_view(action="discard"), name="invoice-discard"),
    path("invoices/<int:pk>/notes/", views.InvoiceActionView.as_view(action="notes"), name="invoice-notes"),
    path("invoices/<int:pk>/send/", views.InvoiceActionView.as_view(action="send"), name="invoice-send"),
    path("invoices/<int:pk>/pdf/", views.InvoiceDocumentView.as_view(fmt="pdf"), name="invoice-pdf"),
    path("invoices/<int:pk>/preview/", views.InvoicePreviewView.as_view(), name="invoice-preview"),
    path("invoices/<int:pk>/factur-x.xml", views.InvoiceDocumentView.as_view(fmt="facturx"), name="invoice-facturx"),
    path("invoices/<int:pk>/ubl.xml", views.InvoiceDocumentView.as_view(fmt="ubl"), name="invoice-ubl"),
    path("invoices/<int:pk>/credit/", views.CreditNoteCreateView.as_view(), name="credit-note-create"),
    path("orders/<int:pk>/invoice/", views.OrderInvoiceView.as_view(), name="order-invoice"),
    # credit notes
    path("credit-notes/", views.CreditNoteListView.as_view(), name="credit-note-list"),
    path("credit-notes/<int:pk>/", views.CreditNoteDetailView.as_view(), name="credit-note-detail"),
    path("credit-notes/<int:pk>/send/", views.CreditNoteSendView.as_view(), name="credit-note-send"),
    path("credit-notes/<int:pk>/pdf/", views.CreditNoteDocumentView.as_view(fmt="pdf"), name="credit-note-pdf"),
    path("credit-notes/<int:pk>/ubl.xml", views.CreditNoteDocumentView.as_view(fmt="ubl"), name="credit-note-ubl"),
]

from django.urls import path

from . import views

app_name = "fulfillment"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    # shipments
    path("shipments/", views.ShipmentListView.as_view(), name="shipment-list"),
    path("shipments/<int:pk>/", views.ShipmentDetailView.as_view(), name="shipment-detail"),
    path("shipments/<int:pk>/pick/", views.ShipmentActionView.as_view(action="pick"), name="shipment-pick"),
    path("shipments/<int:pk>/pack/", views.ShipmentActionView.as_view(action="pack"), name="shipment-pack"),
    path("shipments/<int:pk>/ship/", views.ShipmentActionView.as_view(action="ship"), name="shipment-ship"),
    path("shipments/<int:pk>/deliver/", views.ShipmentActionView.as_view(action="deliver"), name="shipment-deliver"),
    path("shipments/<int:pk>/reschedule/", views.ShipmentActionView.as_view(action="reschedule"),
         name="shipment-reschedule"),
    path("shipments/<int:pk>/cancel/", views.ShipmentActionView.as_view(action="cancel"), name="shipment-cancel"),
    path("shipments/<int:pk>/pick-list/", views.ShipmentPdfView.as_view(document="pick-list"),
         name="shipment-pick-list"),
    path("shipments/<int:pk>/delivery-note/", views.ShipmentPdfView.as_view(document="delivery-note"),
         name="shipment-delivery-note"),
    path("orders/<int:pk>/ship/", views.ShipmentCreateView.as_view(), name="shipment-create"),
    # the scheduling board
    path("board/", views.BoardView.as_view(), name="board"),
    # returns
    path("returns/", views.ReturnListView.as_view(), name="return-list"),
    path("returns/<int:pk>/", views.ReturnDetailView.as_view(), name="return-detail"),
    path("returns/<int:pk>/receive/", views.ReturnActionView.as_view(action="receive"), name="return-receive"),
    path("returns/<int:pk>/cancel/", views.ReturnActionView.as_view(action="cancel"), name="return-cancel"),
    path("orders/<int:pk>/return/", views.ReturnCreateView.as_view(), name="return-create"),
    # carriers
    path("carriers/", views.CarrierListView.as_view(), name="carrier-list"),
    path("carriers/new/", views.CarrierFormView.as_view(), name="carrier-create"),
    path("carriers/<int:pk>/", views.CarrierFormView.as_view(), name="carrier-edit"),
    path("carriers/<int:pk>/activate/", views.CarrierActionView.as_view(action="activate"), name="carrier-activate"),
    path("carriers/<int:pk>/deactivate/", views.CarrierActionView.as_view(action="deactivate"),
         name="carrier-deactivate"),
    path("carriers/<int:pk>/default/", views.CarrierActionView.as_view(action="default"), name="carrier-default"),
    # the warehouses' holiday calendar
    path("holidays/", views.HolidayListView.as_view(), name="holiday-list"),
    path("holidays/new/", views.HolidayCreateView.as_view(), name="holiday-create"),
    path("holidays/<int:pk>/delete/", views.HolidayDeleteView.as_view(), name="holiday-delete"),
]

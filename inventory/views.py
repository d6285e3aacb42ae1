from o2c.roles import WAREHOUSE
from o2c.views import RoleWorkspaceView


class HomeView(RoleWorkspaceView):
    title = "Inventory"
    role = WAREHOUSE
    app_labels = ["inventory"]
    intro = "Products, warehouses, the stock ledger, reservations, availability (ATP) and replenishment."

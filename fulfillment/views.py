from o2c.roles import WAREHOUSE
from o2c.views import RoleWorkspaceView


class HomeView(RoleWorkspaceView):
    title = "Fulfillment"
    role = WAREHOUSE
    app_labels = ["fulfillment"]
    intro = "Delivery scheduling, shipments (pick, pack, ship, deliver), backorders and returns."

from o2c.roles import SALES
from o2c.views import RoleWorkspaceView


class HomeView(RoleWorkspaceView):
    title = "Sales desk"
    role = SALES
    app_labels = ["orders"]
    intro = "Customers, quotes and sales orders, pricing and the credit check."

from o2c.roles import FINANCE
from o2c.views import RoleWorkspaceView


class HomeView(RoleWorkspaceView):
    title = "Receivables"
    role = FINANCE
    app_labels = ["receivables"]
    intro = "Payments and allocation, bank statements, aging, reminders, disputes and credit holds."

from o2c.roles import FINANCE
from o2c.views import RoleWorkspaceView


class HomeView(RoleWorkspaceView):
    title = "Billing"
    role = FINANCE
    app_labels = ["billing"]
    intro = "Invoices, credit notes, taxes, PDFs and e-invoices, automated invoicing."

from importlib import import_module

import pytest
from django.apps import apps

from fulfillment.models import Carrier
from receivables.models import DunningPolicy
from tests.fulfillment.factories import CarrierFactory


@pytest.fixture(autouse=True)
def default_carrier(db) -> Carrier:
    """Shipments are scheduled with the default carrier unless a test chooses one."""
    return CarrierFactory(code="STD", name="Parcel Co", transit_days=2, is_default=True, tracking_url_template="")


@pytest.fixture(autouse=True)
def default_dunning_policy(db) -> DunningPolicy:
    """The migration's default policy (EU 2011/7); a transactional test's flush removes it, so put it back."""
    import_module("receivables.migrations.0002_ledgers_append_only_default_policy").default_policy(apps, None)
    return DunningPolicy.objects.get(is_default=True)

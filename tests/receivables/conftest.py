import pytest

from fulfillment.models import Carrier
from tests.fulfillment.factories import CarrierFactory


@pytest.fixture(autouse=True)
def default_carrier(db) -> Carrier:
    """Shipments are scheduled with the default carrier unless a test chooses one."""
    return CarrierFactory(code="STD", name="Parcel Co", transit_days=2, is_default=True, tracking_url_template="")

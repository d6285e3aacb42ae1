"""Every write of the sales desk: customers, quotes, sales orders (atomic, locked, audited)."""

from .customers import (
    contact_create,
    contact_update,
    customer_child_delete,
    customer_create,
    customer_set_credit,
    customer_update,
    payment_term_create,
    payment_term_update,
    price_list_set,
    shipping_address_create,
    shipping_address_update,
    tax_rate_create,
    tax_rate_update,
)
from .mailing import order_confirmation_send, order_pdf, quote_email_send, quote_pdf
from .orders import (
    backorders_fill,
    order_cancel,
    order_confirm,
    order_create,
    order_refresh_progress,
    order_reject_hold,
    order_release_hold,
    order_update,
)
from .quotes import quote_accept, quote_create, quote_reject, quote_send, quote_update, quotes_expire

__all__ = [
    "backorders_fill", "contact_create", "contact_update", "customer_child_delete", "customer_create",
    "customer_set_credit", "customer_update", "order_cancel", "order_confirm", "order_confirmation_send",
    "order_create", "order_pdf", "order_refresh_progress", "order_reject_hold", "order_release_hold",
    "order_update", "payment_term_create", "payment_term_update", "price_list_set", "quote_accept",
    "quote_create", "quote_email_send", "quote_pdf", "quote_reject", "quote_send", "quote_update",
    "quotes_expire", "shipping_address_create", "shipping_address_update", "tax_rate_create", "tax_rate_update",
]

"""Sales tasks: take ids, call one service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="orders.quote_email_send", acks_late=True, autoretry_for=(OSError,), retry_backoff=True,
             max_retries=6)
def quote_email_send(quote_id: int) -> bool:
    return services.quote_email_send(quote_id=quote_id)


@shared_task(name="orders.order_confirmation_send", acks_late=True, autoretry_for=(OSError,), retry_backoff=True,
             max_retries=6)
def order_confirmation_send(order_id: int) -> bool:
    return services.order_confirmation_send(order_id=order_id)


@shared_task(name="orders.quotes_expire")
def quotes_expire() -> int:
    """Beat, daily: quotes past their validity expire."""
    return len(services.quotes_expire())

"""Celery tasks of this app: take ids, call one service, idempotent."""

"""`Idempotency-Key` for API POSTs: the first response is stored and replayed for the same key
and user; the same key with another request is a 422; a retry while the first is still running
is a 409. Records are purged by the beat after O2C_IDEMPOTENCY_TTL_HOURS.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from ..errors import Conflict, Unprocessable, ValidationFailed
from ..models import IdempotencyRecord

HEADER = "Idempotency-Key"
STALE_AFTER = timedelta(minutes=2)  # an in-progress record this old belongs to a crashed request


class _Replay(Exception):
    def __init__(self, record: IdempotencyRecord) -> None:
        self.record = record


def _request_hash(request: Request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.get_full_path().encode() + b"\n")
    if request.content_type.startswith("multipart/"):
        # an upload (a bank statement) may be larger than Django keeps in memory: hash the parsed fields
        # and each file's content in chunks instead of the raw body
        for name, values in sorted(request.POST.lists()):  # the form's fields (every value), not its files
            digest.update(f"{name}={values}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(f"{name}:{upload.name}:{upload.size}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request._request.body)
    return digest.hexdigest()


def _claim(request: Request, key: str) -> IdempotencyRecord:
    if not key.strip() or len(key) > 255:
        raise ValidationFailed("Idempotency-Key must be 1 to 255 characters.", code="invalid_idempotency_key")
    fields = {"method": request.method, "path": request.path, "request_hash": _request_hash(request)}
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user=request.user, key=key, **fields)
    except IntegrityError:
        pass
    with transaction.atomic():
        record = IdempotencyRecord.objects.select_for_update().get(user=request.user, key=key)
        if record.request_hash != fields["request_hash"]:
            raise Unprocessable(
                "This Idempotency-Key was already used with a different request.",
                code="idempotency_key_reused", details={"key": key},
            )
        if record.status_code is not None:
            raise _Replay(record)
        if record.created_at > timezone.now() - STALE_AFTER:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry later.",
                code="idempotency_in_progress", details={"key": key},
            )
        record.created_at = timezone.now()
        record.save(update_fields=["created_at"])
        return record


class IdempotentMixin:
    """Mix into DRF views before the view class."""

    _idempotency_record: IdempotencyRecord | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # authenticates
        key = request.headers.get(HEADER)
        if request.method == "POST" and key is not None:
            self._idempotency_record = _claim(request, key)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            record = exc.record
            return Response(record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"})
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        record = self._idempotency_record
        if record is not None:
            self._idempotency_record = None
            if response.status_code >= 500:
                record.delete()  # let the client retry
            else:
                record.status_code = response.status_code
                record.response_body = getattr(response, "data", None)
                record.save(update_fields=["status_code", "response_body"])
        return response

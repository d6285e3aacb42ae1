"""Business documents: HTML templates rendered to PDF by WeasyPrint, and sent by e-mail.

Both run after commit (from a Celery task), never inside a transaction that may roll back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML


def render_html(template: str, context: dict[str, Any], *, language: str = "en") -> str:
    with translation.override(language):
        return render_to_string(template, {"company": settings.O2C_COMPANY, **context})


def render_pdf(template: str, context: dict[str, Any], *, language: str = "en") -> bytes:
    """The document as PDF bytes, in the customer's language."""
    html = render_html(template, context, language=language)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/pdf"


def send_document_email(
    *, to: Sequence[str], subject: str, body: str, attachments: Sequence[Attachment] = (),
) -> int:
    """Send one e-mail with the documents attached; returns the number sent (0 or 1)."""
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=list(to),
                           reply_to=[settings.O2C_COMPANY["email"]])
    for item in attachments:
        message.attach(item.filename, item.content, item.mimetype)
    return message.send(fail_silently=False)

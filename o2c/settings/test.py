"""The test suite: the same engines as production (PostgreSQL, Redis), never eager Celery."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
O2C_WEBHOOK_TIMEOUT = 2.0
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The browser tests get the static files straight from their sources (no collectstatic step).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Stored PDFs of the test run go to a folder of their own, not the development media folder.
MEDIA_ROOT = Path(tempfile.gettempdir()) / "o2c-test-media"
# The demo's payment history: none, unless a test asks for it (insight's demo, cockpit and query-budget tests);
# every other test that loads the demo stays ~3 s faster.
DEMO_HISTORY_MONTHS = 0

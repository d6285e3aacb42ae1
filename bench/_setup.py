"""Shared set-up for benchmarks: Django on its own database (o2c_bench), migrated, kept."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2c.settings.dev")
os.environ.setdefault("DEBUG", "False")  # no query log: measure what production runs


def setup_bench_db(name: str = "o2c_bench") -> None:
    """Django on the bench database `name`, created and migrated if missing, kept."""
    import django
    from django.db import connection

    django.setup()
    connection.settings_dict["TEST"]["NAME"] = name
    # serialize=False: the bench data is never restored, and serializing it (1M invoices) would take minutes
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=True)


def bench_database_url() -> str:
    """DATABASE_URL with the bench database in place of the configured one (host, socket, user kept)."""
    from urllib.parse import urlsplit

    from django.db import connection

    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/o2c"))
    return url._replace(path="/" + connection.settings_dict["NAME"]).geturl()

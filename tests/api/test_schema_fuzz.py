"""Property-based API test from our own OpenAPI schema: the schemathesis CLI generates requests for
every operation (coverage and fuzzing phases) against the live test server, with a real token of an
Admin-group user. Whatever the body, query or path: no 5xx, and every 4xx has the one error shape."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_no_endpoint_answers_5xx_and_every_4xx_has_the_error_shape(live_server) -> None:
    token = Token.objects.create(user=make_user("fuzzer", "Admin")).key
    cli = Path(sys.executable).with_name("schemathesis")
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [str(cli), "run", f"{live_server.url}/api/schema/", "--header", f"Authorization: Token {token}",
         "--checks", "not_a_server_error,error_shape", "--phases", "fuzzing", "--max-examples", "10",
         "--workers", "1", "--seed", "20261122", "--no-color"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    summary = result.stdout[-3000:]
    assert result.returncode == 0, summary + result.stderr[-2000:]
    tested = re.search(r"Tested: (\d+)", summary)
    counts = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert tested and int(tested.group(1)) >= 40, summary  # it really reached every operation
    assert counts and counts.group(1) == counts.group(2) and int(counts.group(1)) >= 300, summary

"""Checks added to the schemathesis CLI run by tests/api/test_schema_fuzz.py (SCHEMATHESIS_HOOKS)."""

import schemathesis


@schemathesis.check
def error_shape(ctx, response, case) -> None:
    """Every 4xx JSON body is {"error": {"code", "message", "details"}}."""
    content_type = response.headers.get("Content-Type", response.headers.get("content-type", [""]))
    if 400 <= response.status_code < 500 and "json" in str(content_type):
        body = response.json()
        if set(body) != {"error"} or not {"code", "message", "details"} <= set(body["error"]):
            raise AssertionError(f"4xx body is not the error shape: {body}")

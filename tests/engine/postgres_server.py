"""A throwaway PostgreSQL cluster on loopback for the tests and the benchmark.

``PAYCHART_TEST_POSTGRES`` (what ``.ci/run`` exports) names a running server to use; without
it a cluster is made with the local binaries (Debian keeps them in
/usr/lib/postgresql/*/bin): ``initdb`` in a temp dir, ``pg_ctl start`` on a free port, run as
the ``postgres`` user when we are root (the server refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ENV = "PAYCHART_TEST_POSTGRES"


def binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def unavailable() -> str | None:
    """Why no server can be had here, or ``None`` when one can."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -e '.[postgresql]')"
    if os.environ.get(ENV):
        return None
    if binary("initdb") is None or binary("pg_ctl") is None:
        return f"no {ENV} and no PostgreSQL server binaries (apt-get install postgresql)"
    if os.geteuid() == 0 and _server_user() is None:
        return "running as root and there is no postgres user to run the server as"
    return None


def _server_user() -> str | None:
    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A cluster made for this run, removed by ``stop``."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="paychart-pg-"))
        self.port = _free_port()
        self._as: list[str] = []
        user = "postgres"
        if os.geteuid() == 0:
            user = _server_user() or "postgres"
            shutil.chown(self.root, user)
            self._as = ["runuser", "-u", user, "--"]
        else:
            user = pwd.getpwuid(os.geteuid()).pw_name
        self.url = f"postgresql://{user}@127.0.0.1:{self.port}/postgres"
        data = self.root / "data"
        self._run(binary("initdb"), "-D", str(data), "-U", user, "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.root} -c max_connections=200")
        self._run(binary("pg_ctl"), "-D", str(data), "-o", options,
                  "-l", str(self.root / "server.log"), "-w", "start")
        self._data = data

    def _run(self, *command: str | None) -> None:
        args = [*self._as, *(str(c) for c in command)]
        subprocess.run(args, check=True, capture_output=True, cwd=self.root)  # noqa: S603

    def stop(self) -> None:
        try:
            self._run(binary("pg_ctl"), "-D", str(self._data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def database_url(server: str, name: str) -> str:
    """The URL of database ``name`` on the server ``server`` (a postgresql:// URL)."""
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def running(url: str | None = None) -> Iterator[str]:
    """A server's URL for as long as the block runs: ``url``, else ``PAYCHART_TEST_POSTGRES``,
    else a throwaway cluster stopped at the end (the tests' fixture and the benchmarks)."""
    url = url or os.environ.get(ENV)
    if url:
        yield url
        return
    cluster = Cluster()
    try:
        yield cluster.url
    finally:
        cluster.stop()

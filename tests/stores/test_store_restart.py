"""A PostgreSQL server restarted under a store: reads and appends carry on.

The test runs a private server of its own (``initdb`` in a temporary folder,
on a free port of 127.0.0.1) so it can stop and start it; it skips where the
PostgreSQL server binaries are missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ledger_workers import one

from rectify.stores.chain import verify

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*args: str) -> list[str]:
    """Run as the postgres user when root (the server refuses to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return list(args)


class Server:
    """A private PostgreSQL cluster that can be stopped and started."""

    def __init__(self, folder: Path) -> None:
        self.data = folder / "data"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.schema = "ledger"  # the ledger schema of the test using the server

    def run(self, *args: str) -> None:
        subprocess.run(_as_postgres(*args), check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self.run(str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                 "--auth=trust", "--no-sync")

    def start(self) -> None:
        self.run(str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                 str(self.data / "log"), "-o",
                 f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off",
                 "start")

    def stop(self) -> None:
        self.run(str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "-m", "fast", "stop")

    def running(self) -> bool:
        """Whether the server is up (``pg_ctl status`` exits 3 when it is not)."""
        done = subprocess.run(_as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "status"),
                              capture_output=True, timeout=60, check=False)
        return done.returncode == 0


@pytest.fixture(scope="module")
def cluster() -> Iterator[Server]:
    """One private server for the module (a single initdb); stopped and removed afterwards."""
    if not (BIN / "initdb").exists() or (os.geteuid() == 0 and not shutil.which("runuser")):
        pytest.skip("needs the PostgreSQL 15 server binaries (initdb, pg_ctl)")
    pytest.importorskip("psycopg_pool")
    # Not under pytest's temporary folders: they are private to the user running the tests.
    folder = Path(tempfile.mkdtemp(prefix="rectify-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    made = Server(folder)
    try:
        made.init()
        made.start()
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"cannot run a private PostgreSQL server here: {exc}")
    try:
        yield made
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            made.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def server(cluster: Server, request: pytest.FixtureRequest) -> Server:
    """The module's server, started (a test that failed may have left it stopped), with a
    schema of the test's own (``server.schema``)."""
    if not cluster.running():
        cluster.start()
    cluster.schema = request.node.name
    return cluster


def _store(server: Server, **options: Any) -> Any:
    from rectify.stores.postgres import PostgresStore

    return PostgresStore(server.dsn, schema=server.schema, connect_timeout=2, **options)


@pytest.mark.slow
def test_reads_and_appends_survive_a_restart(server: Server) -> None:
    """After a restart the next read and the next append work without an error."""
    store = _store(server)
    try:
        assert store.append([one("2017-X1", 0, "c1")]) == [True]
        server.stop()
        server.start()
        assert store.version("2017-X1") == 1
        server.stop()
        server.start()
        assert store.append([one("2017-X1", 1, "c2")]) == [True]
        assert [e.command for e in store.entries()] == ["c1", "c2"]
        assert verify(store).ok
    finally:
        store.close()


@pytest.mark.slow
def test_an_append_waits_for_the_server_to_come_back(server: Server) -> None:
    """An append made while the server is down is retried until it is back (within
    retry_for) and stored once; with the server down longer it is a LedgerUnavailable."""
    from rectify.stores.errors import LedgerUnavailable

    store = _store(server, retry_for=20)
    try:
        store.append([one("2017-X1", 0, "c1")])
        server.stop()
        outcome: list[Any] = []
        thread = threading.Thread(
            target=lambda: outcome.append(store.append([one("2017-X1", 1, "c2")])))
        thread.start()
        time.sleep(1.5)
        assert thread.is_alive()
        assert not outcome
        server.start()
        thread.join(30)
        assert outcome == [[True]]
        assert [e.command for e in store.entries()] == ["c1", "c2"]
    finally:
        store.close()
    impatient = _store(server, retry_for=1)
    try:
        server.stop()
        start = time.monotonic()
        with pytest.raises(LedgerUnavailable):
            impatient.append([one("2017-X1", 2, "c3")])
        assert time.monotonic() - start < 15
        server.start()
        assert not impatient.has_command("c3")
    finally:
        impatient.close()

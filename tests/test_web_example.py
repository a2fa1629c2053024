"""The web service example (examples/web), driven over HTTP as a real server.

The module starts uvicorn with two worker processes on 127.0.0.1 and a free
port, over a fresh PostgreSQL schema, and drives it from several threads at
once: idempotent repeats, racing support assignments against the load cap,
refusals, unknown cases, and PostgreSQL connections killed under the running
service.  The test reads the same ledger directly to check what was
recorded.  Skips when ``RECTIFY_TEST_POSTGRES_DSN`` is unset or unreachable,
or when the ``web`` extra is not installed.
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import attrs
import pytest

import rectify

WEB_MISSING = "the web extra is not installed (pip install 'rectify[web]')"
httpx = pytest.importorskip("httpx", reason=WEB_MISSING)
pytest.importorskip("starlette", reason=WEB_MISSING)
pytest.importorskip("uvicorn", reason=WEB_MISSING)
psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed "
                              "(pip install 'rectify[postgres]')")

from rectify.stores.chain import verify  # noqa: E402
from rectify.stores.postgres import PostgresStore  # noqa: E402
from rectify.stores.readmodel import verify_read_models  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "web"
DSN_VARIABLE = "RECTIFY_TEST_POSTGRES_DSN"
DAY = "2017-03-01"
DEPT = "OD-1"
PLAN = {"actor": DEPT, "on": DAY, "problems": [["venue_nonstandard", "活动场所不规范"]],
        "measures": ["修缮活动场所"], "responsible": ["SEC-V01"], "deadline": "2017-06-30"}
CAP = 5  # the northern-county policy's coverage.max_cases_per_person
STARTUP_SECONDS = 30.0
ATTEMPTS = 5  # how often a client sends one command when the service answers 503


def _dsn() -> str:
    """The test server's DSN, or skip with the reason."""
    dsn = os.environ.get(DSN_VARIABLE)
    if not dsn:
        pytest.skip(f"{DSN_VARIABLE} is not set: the web example test needs PostgreSQL "
                    "(.ci/run sets it to postgresql://postgres@127.0.0.1:5432/test)")
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL at {DSN_VARIABLE} is unreachable: {exc}".strip())
    return dsn


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@attrs.define
class Service:
    """The running server, a client, the ledger read directly, and the server's name in
    ``pg_stat_activity``."""

    client: Any
    store: PostgresStore
    admin: Any
    name: str
    log: Path

    def connections(self) -> int:
        """How many PostgreSQL connections the service holds now."""
        row = self.admin.execute("SELECT count(*) FROM pg_stat_activity"
                                 " WHERE application_name = %s", (self.name,)).fetchone()
        return int(row[0])

    def kill_connections(self) -> int:
        """Terminate every PostgreSQL connection of the service; how many there were."""
        row = self.admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND application_name = %s", (self.name,)).fetchone()
        deadline = time.monotonic() + 5
        while self.connections() and time.monotonic() < deadline:
            time.sleep(0.02)
        return int(row[0])

    def send(self, method: str, path: str, body: Any = None, key: str | None = None,
             *, retry: bool = True) -> tuple[Any, int]:
        """One request (retried with the same key on 503, if ``retry``); the last answer and
        how many retries it took."""
        headers = {"Idempotency-Key": key} if key else {}
        for attempt in range(ATTEMPTS):
            answer = self.client.request(method, path, json=body, headers=headers)
            if answer.status_code != 503 or not retry:
                return answer, attempt
            time.sleep(0.1)
        return answer, ATTEMPTS - 1


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop uvicorn (and its workers): terminate, then kill its process group."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The example served by uvicorn with two workers over a fresh schema, its 2017 cases open."""
    dsn = _dsn()
    tag = uuid.uuid4().hex[:10]
    schema, name = f"rectify_web_{tag}", f"rectify-web-{tag}"
    store = PostgresStore(dsn, schema=schema)
    admin = psycopg.connect(dsn, autocommit=True)
    log = tmp_path_factory.mktemp("web") / "server.log"
    port = _free_port()
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([str(Path(rectify.__file__).resolve().parents[1]),
                                          os.environ.get("PYTHONPATH", "")]),
           "RECTIFY_WEB_DSN": f"{dsn}{'&' if '?' in dsn else '?'}application_name={name}",
           "RECTIFY_WEB_SCHEMA": schema}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "app:create_app", "--app-dir",
             str(EXAMPLE), "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", "--timeout-graceful-shutdown", "3"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20.0,
                          limits=httpx.Limits(max_connections=32))
    running = Service(client, store, admin, name, log)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:  # bounded by the deadline
            assert server.poll() is None, f"the server exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"no /health in time:\n{log.read_text()}"
            try:
                if client.get("/health").status_code == 200 and running.connections() >= 2:
                    break  # both workers opened their store at start-up
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        answer, _ = running.send("POST", "/cases/open", {"year": 2017, "actor": DEPT,
                                                         "on": "2017-02-01"}, "open-2017")
        assert answer.status_code == 200, answer.text
        yield running
    finally:
        client.close()
        _stop(server)
        store.drop()
        store.close()
        admin.close()


def _sound(store: PostgresStore) -> None:
    """The ledger's chain verifies and its read models equal a replay."""
    report = verify(store)
    assert report.ok, str(report)
    assert verify_read_models(store) == []


def _together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls from as many threads at once; their results in order."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result(timeout=60) for f in [pool.submit(c) for c in calls]]


def test_two_workers_page_through_one_ledger(service: Service) -> None:
    """Both workers hold a connection to the ledger; /cases pages join up to the 16 cases."""
    health = service.client.get("/health").json()
    assert health["status"] == "ok"
    assert health["ledger_position"] >= 16
    assert service.connections() >= 2
    ids: list[str] = []
    after = ""
    for _ in range(10):  # 16 cases in pages of 5: four pages
        page = service.client.get("/cases", params={"year": 2017, "limit": 5,
                                                    "after": after}).json()
        ids += [c["id"] for c in page["cases"]]
        if page["next"] is None:
            break
        after = page["next"]
    assert ids == [f"2017-V{i:02d}" for i in range(1, 17)]
    assert service.client.get("/cases", params={"state": "delisted"}).json()["cases"] == []


def test_repeated_requests_with_one_key_record_once(service: Service) -> None:
    """The same Idempotency-Key sent again, or from six threads at once, records one event
    and every answer is the same case."""
    store = service.store
    before = len(store)
    again, _ = service.send("POST", "/cases/open", {"year": 2017, "actor": DEPT,
                                                    "on": "2017-02-01"}, "open-2017")
    assert again.status_code == 200
    assert again.json()["cases"] == [f"2017-V{i:02d}" for i in range(1, 17)]
    assert len(store) == before

    answers = _together([lambda: service.send("POST", "/cases/2017-V01/plan", PLAN,
                                              "plan-2017-V01")[0]] * 6)
    assert [a.status_code for a in answers] == [200] * 6
    assert all(a.json() == answers[0].json() for a in answers)
    assert answers[0].json()["state"] == "planned"
    assert answers[0].json()["version"] == 2
    support = {"actor": DEPT, "on": DAY, "level": "first_secretary", "person": "FS-V01"}
    answers = _together([lambda: service.send("POST", "/cases/2017-V01/support", support,
                                              "support-2017-V01-fs")[0]] * 4)
    assert [a.status_code for a in answers] == [200] * 4
    assert {a.json()["version"] for a in answers} == {3}
    assert len(store) == before + 2
    assert store.version("2017-V01") == 3
    assert store.has_command("plan-2017-V01")
    assert store.has_command("support-2017-V01-fs")
    _sound(store)


def test_racing_support_stays_within_the_load_cap(service: Service) -> None:
    """Ten requests assigning one unit to ten cases at once: exactly the cap (5) succeed,
    the others are refused with 422 naming the cap."""
    cases = [f"2017-V{i:02d}" for i in range(2, 12)]
    body = {"actor": DEPT, "on": DAY, "level": "paired_unit", "person": "UNIT-1"}
    answers = _together([
        functools.partial(service.send, "POST", f"/cases/{case}/support", body, f"race-{case}")
        for case in cases])
    answers = [answer for answer, _ in answers]
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * CAP + [422] * (len(cases) - CAP), [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 422:
            assert answer.json()["error"] == "refused"
            assert ("UNIT-1 already supports 5 open cases (cap 5, max_cases_per_person)"
                    in answer.json()["unmet"])
    assert service.client.get("/people/UNIT-1/load").json() == {
        "person": "UNIT-1", "load": CAP, "cap": CAP}
    assert service.store.load("UNIT-1") == CAP
    taken = [c for c in cases
             if ("paired_unit", "UNIT-1") in getattr(service.store.case(c), "support", ())]
    assert len(taken) == CAP
    _sound(service.store)


def test_refusals_and_unknown_cases_map_to_http(service: Service) -> None:
    """A vague plan and an actor without the right get 422 with every unmet condition, an
    unknown case 404, a malformed request or a year without assessments 400; nothing is
    recorded."""
    before = len(service.store)
    vague = {"actor": DEPT, "on": DAY, "problems": [["venue_nonstandard", "场所"]],
             "measures": [], "responsible": []}
    answer, _ = service.send("POST", "/cases/2017-V12/plan", vague, "vague-plan")
    assert answer.status_code == 422
    assert answer.json()["command"] == "file_plan"
    assert set(answer.json()["unmet"]) == {"the plan names no measure",
                                           "the plan names no responsible person",
                                           "the plan has no deadline"}
    denied = {"actor": "NOBODY", "on": DAY, "level": "paired_unit", "person": "UNIT-2"}
    answer, _ = service.send("POST", "/cases/2017-V12/support", denied)
    assert answer.status_code == 422
    assert answer.json()["error"] == "denied"
    assert "org_department" in answer.json()["unmet"][0]
    assert service.client.get("/cases/2017-V99").status_code == 404
    answer, _ = service.send("POST", "/cases/2017-V99/plan", PLAN, "plan-unknown")
    assert answer.status_code == 404
    assert answer.json()["case"] == "2017-V99"
    assert service.client.post("/cases/2017-V12/plan", content=b"not json").status_code == 400
    answer, _ = service.send("POST", "/cases/open", {"year": 2018, "actor": DEPT})
    assert answer.status_code == 400
    assert "2018" in answer.json()["message"]
    assert service.client.get("/cases", params={"limit": "many"}).status_code == 400
    assert len(service.store) == before
    assert not service.store.has_command("vague-plan")


def test_the_service_survives_killed_database_connections(service: Service) -> None:
    """Connections killed while idle are replaced without a failed request; connections killed
    during a burst of commands cost at most a 503, and the client's retry with the same key
    records each command exactly once."""
    cases = [f"2017-V{i:02d}" for i in range(13, 17)]
    _together([lambda: service.client.get("/cases/2017-V13")] * 8)  # warm the threads
    assert service.kill_connections() >= 2
    plans = [answer for answer, _ in _together([
        functools.partial(service.send, "POST", f"/cases/{case}/plan", PLAN, f"plan-{case}",
                          retry=False) for case in cases])]
    assert [a.status_code for a in plans] == [200] * len(cases), [a.text for a in plans]
    assert service.client.get("/health").status_code == 200

    levels = {"leader_contact": "LEAD-1", "org_guidance": "OD-2", "paired_unit": "UNIT-2",
              "committee_supervisor": "CS-1"}
    commands = [(case, level, levels.get(level, f"FS-{case[5:]}"))
                for case in cases for level in (*levels, "first_secretary")]
    killed = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(service.send, "POST", f"/cases/{case}/support",
                               {"actor": DEPT, "on": DAY, "level": level, "person": person},
                               f"burst-{case}-{level}") for case, level, person in commands]
        for done, future in enumerate(as_completed(futures, timeout=60), start=1):
            answer, _ = future.result()
            assert answer.status_code == 200, answer.text  # after at most ATTEMPTS sends
            if done == 5:
                killed = service.kill_connections()  # while the other commands run
    assert killed >= 1
    for case in cases:
        record = service.store.case(case)
        assert record is not None
        assert record.version == 2 + 5  # opened, planned, five levels: nothing twice
        assert dict(record.support) == {**levels, "first_secretary": f"FS-{case[5:]}"}
    assert all(service.store.has_command(f"burst-{c}-{lv}") for c, lv, _ in commands)
    assert service.client.get(f"/cases/{cases[0]}").json()["version"] == 7
    assert service.connections() >= 1  # the service reconnected
    _sound(service.store)


def test_every_error_maps_to_its_status(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example's error mapping, including the answers the running service cannot be made
    to give on demand (a conflict, a corrupt ledger); anything not rectify's is re-raised."""
    import importlib.util

    from rectify.errors import (
        CommandRefused,
        ConcurrencyConflict,
        InvalidValueError,
        LedgerCorrupt,
        LedgerUnavailable,
        PermissionDenied,
        UnknownCaseError,
    )

    monkeypatch.syspath_prepend(str(EXAMPLE))  # app.py imports county.py beside it
    spec = importlib.util.spec_from_file_location("rectify_web_example_app", EXAMPLE / "app.py")
    assert spec is not None
    assert spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    expected = [
        (CommandRefused("2017-V01", "planned", "file_plan", ["a", "b"]), 422),
        (PermissionDenied("NOBODY", "file_plan", "needs a role", "2017-V01"), 422),
        (UnknownCaseError("2017-V99"), 404),
        (ConcurrencyConflict("2017-V01", 2, 3), 409),
        (LedgerUnavailable("db", "down"), 503),
        (LedgerCorrupt("db", "the head row is missing"), 500),
        (InvalidValueError("engine", "table", "x"), 400),
        (app.BadRequest("year: expected an integer"), 400),
    ]
    for error, status in expected:
        assert app.error_response(error).status_code == status, error
    refused = app.error_response(expected[0][0])
    assert b'"unmet":["a","b"]' in refused.body
    assert app.error_response(LedgerUnavailable("db", "down")).headers["retry-after"] == "1"
    with pytest.raises(ZeroDivisionError):
        app.error_response(ZeroDivisionError())

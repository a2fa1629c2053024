"""A small web service over one PostgreSQL ledger: rectify embedded in Starlette.

Run it with uvicorn, two worker processes (see README.md)::

    RECTIFY_WEB_DSN=postgresql://app@127.0.0.1/rectify \\
        uvicorn --factory app:create_app --workers 2

Each worker process opens one `PostgresStore` when it starts and shares it
between the threads that serve its requests (the store keeps a connection
per thread); each request builds a `Campaign` over it, which costs nothing.
The library calls block, so the handlers parse the request and then run the
command in Starlette's thread pool.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import date
from typing import Any

from county import PEOPLE, POLICY, POPULATION, assessments
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from rectify import Campaign, Plan
from rectify.errors import (
    CommandRefused,
    ConcurrencyConflict,
    LedgerError,
    LedgerUnavailable,
    PermissionDenied,
    RectifyError,
    UnknownCaseError,
)
from rectify.identify import identify
from rectify.lifecycle.case import CaseRecord
from rectify.stores import PostgresStore

__all__ = ["BadRequest", "case_json", "create_app", "error_response"]

#: The environment variables the app factory reads.
DSN_VARIABLE = "RECTIFY_WEB_DSN"
SCHEMA_VARIABLE = "RECTIFY_WEB_SCHEMA"
#: The longest page ``GET /cases`` returns.
MAX_LIMIT = 500
_MAX_KEY = 200


class BadRequest(Exception):
    """The request itself is malformed (bad JSON, a missing or mistyped field): HTTP 400."""


# -- JSON in and out ------------------------------------------------------------------


def case_json(case: CaseRecord) -> dict[str, Any]:
    """A case as the service returns it."""
    return {
        "id": case.id, "org": case.org, "year": case.year, "kind": case.kind,
        "state": case.state, "version": case.version, "is_open": case.is_open,
        "opened_on": case.opened_on.isoformat(),
        "deadline": case.deadline.isoformat() if case.deadline else None,
        "problems": list(case.problems), "resolved": sorted(case.resolved),
        "support": [{"level": level, "person": person} for level, person in case.support],
    }


def error_response(exc: Exception) -> JSONResponse:
    """The HTTP answer for an error of the library or of the request.

    Refusals and denials are 422 with every unmet condition; an unknown case
    404; a concurrent change 409 (retry); an unreachable ledger 503 (retry,
    with the same idempotency key); any other ledger problem 500; any other
    rectify error and a malformed request 400.  Anything else is re-raised.
    """
    body: dict[str, Any] = {"message": str(exc)}
    headers: dict[str, str] = {}
    if isinstance(exc, CommandRefused):
        status = 422
        body |= {"error": "refused", "case": exc.case, "state": exc.state,
                 "command": exc.command, "unmet": list(exc.unmet)}
    elif isinstance(exc, PermissionDenied):
        status = 422
        body |= {"error": "denied", "case": exc.case, "command": exc.command,
                 "unmet": [exc.missing]}
    elif isinstance(exc, UnknownCaseError):
        status, body["error"], body["case"] = 404, "unknown case", exc.case
    elif isinstance(exc, ConcurrencyConflict):
        status, body["error"] = 409, "conflict"
    elif isinstance(exc, LedgerUnavailable):
        status, body["error"], headers["Retry-After"] = 503, "unavailable", "1"
    elif isinstance(exc, LedgerError):
        status, body["error"] = 500, "ledger"
    elif isinstance(exc, RectifyError | BadRequest):
        status, body["error"] = 400, "bad request"
    else:
        raise exc
    return JSONResponse(body, status_code=status, headers=headers)


async def _body(request: Request) -> Mapping[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name}: expected a non-empty string, got {value!r}")
    return value


def _texts(body: Mapping[str, Any], name: str) -> list[str]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"{name}: expected a list of strings, got {value!r}")
    return value


def _date(value: Any, name: str) -> date:
    if not isinstance(value, str):
        raise BadRequest(f"{name}: expected a date YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None


def _day(body: Mapping[str, Any]) -> date:
    """The date the command takes effect (``on``; today when left out)."""
    return _date(body["on"], "on") if "on" in body else date.today()


def _int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"{name}: expected an integer, got {value!r}") from None


def _key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header: the command id of the request."""
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= _MAX_KEY:
        raise BadRequest(f"Idempotency-Key: expected 1 to {_MAX_KEY} characters")
    return key


# -- the routes -----------------------------------------------------------------------


def _campaign(request: Request) -> Campaign:
    """A campaign over this worker's store (it holds no state: one per request is fine)."""
    store: PostgresStore = request.app.state.store
    return Campaign(POLICY, store, population=POPULATION, people=PEOPLE)


async def _answer(call: Callable[[], Any], status: int = 200) -> JSONResponse:
    """Run a blocking library call in the thread pool; its result as JSON, or its error."""
    try:
        return JSONResponse(await run_in_threadpool(call), status_code=status)
    except (RectifyError, BadRequest) as exc:
        return error_response(exc)


async def health(request: Request) -> JSONResponse:
    """``GET /health``: the worker answers and reaches its ledger."""
    store: PostgresStore = request.app.state.store
    try:
        position = (await run_in_threadpool(store.head)).position
    except RectifyError as exc:
        return error_response(exc)
    return JSONResponse({"status": "ok", "ledger_position": position, "worker": os.getpid()})


async def open_cases(request: Request) -> JSONResponse:
    """``POST /cases/open``: identify the year's weak organizations and open their cases."""
    try:
        body, key = await _body(request), _key(request)
        year, actor, on = body.get("year"), _text(body, "actor"), _day(body)
        if not isinstance(year, int):
            raise BadRequest(f"year: expected an integer, got {year!r}")
    except BadRequest as exc:
        return error_response(exc)

    def run() -> dict[str, Any]:
        campaign = _campaign(request)
        result = campaign.open_cases(identify(POPULATION, assessments(year), POLICY, year),
                                     actor=actor, on=on, command_id=key)
        return {"year": year, "cases": sorted((*result.opened, *result.existing)),
                "escalated": sorted(d.org for d in result.escalations)}

    return await _answer(run)


async def list_cases(request: Request) -> JSONResponse:
    """``GET /cases?year=&state=&after=&limit=``: one page of cases, in id order."""
    query = request.query_params
    try:
        year = _int(query.get("year"), "year")
        limit = _int(query.get("limit"), "limit") or 50
        if not 0 < limit <= MAX_LIMIT:
            raise BadRequest(f"limit: expected 1 to {MAX_LIMIT}, got {limit}")
    except BadRequest as exc:
        return error_response(exc)

    def run() -> dict[str, Any]:
        page = _campaign(request).cases(year=year, state=query.get("state") or None,
                                        after=query.get("after") or None, limit=limit)
        return {"cases": [case_json(c) for c in page],
                "next": page[-1].id if len(page) == limit else None}

    return await _answer(run)


async def get_case(request: Request) -> JSONResponse:
    """``GET /cases/{id}``: one case."""
    case = request.path_params["case"]
    return await _answer(lambda: case_json(_campaign(request).case(case)))


async def file_plan(request: Request) -> JSONResponse:
    """``POST /cases/{id}/plan``: file the case's rectification plan."""
    case = request.path_params["case"]
    try:
        body, key = await _body(request), _key(request)
        actor, on = _text(body, "actor"), _day(body)
        problems = body.get("problems", [])
        if not isinstance(problems, list) or not all(
                isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
                for p in problems):
            raise BadRequest("problems: expected a list of [aspect, description] pairs")
        deadline = _date(body["deadline"], "deadline") if body.get("deadline") else None
        plan = Plan(problems=[(a, d) for a, d in problems], measures=_texts(body, "measures"),
                    responsible=_texts(body, "responsible"), deadline=deadline)
    except (BadRequest, RectifyError) as exc:
        return error_response(exc)
    return await _answer(lambda: case_json(_campaign(request).file_plan(
        case, plan, actor=actor, on=on, command_id=key)))


async def assign_support(request: Request) -> JSONResponse:
    """``POST /cases/{id}/support``: give a support level of the case to a person or unit."""
    case = request.path_params["case"]
    try:
        body, key = await _body(request), _key(request)
        actor, on = _text(body, "actor"), _day(body)
        level, person = _text(body, "level"), _text(body, "person")
    except BadRequest as exc:
        return error_response(exc)
    return await _answer(lambda: case_json(_campaign(request).assign_support(
        case, level, person, actor=actor, on=on, command_id=key)))


async def person_load(request: Request) -> JSONResponse:
    """``GET /people/{id}/load``: how many open cases the person supports, and the cap."""
    person = request.path_params["person"]
    return await _answer(lambda: {
        "person": person, "load": _campaign(request).load(person),
        "cap": POLICY.coverage.max_cases_per_person})


def create_app(dsn: str | None = None, schema: str | None = None) -> Starlette:
    """The service over the ledger at ``dsn`` in ``schema``.

    Both default to the environment variables ``RECTIFY_WEB_DSN`` (required)
    and ``RECTIFY_WEB_SCHEMA`` (``rectify``).  The store is opened when the
    worker starts (so a worker that cannot reach its ledger fails at once)
    and closed when it stops.
    """
    target = dsn or os.environ.get(DSN_VARIABLE)
    if not target:
        raise RuntimeError(f"set {DSN_VARIABLE} to the ledger's PostgreSQL DSN")
    where = schema or os.environ.get(SCHEMA_VARIABLE) or "rectify"

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.store = await run_in_threadpool(PostgresStore, target, schema=where)
        try:
            yield
        finally:
            app.state.store.close()

    return Starlette(routes=[
        Route("/health", health, methods=["GET"]),
        Route("/cases/open", open_cases, methods=["POST"]),
        Route("/cases", list_cases, methods=["GET"]),
        Route("/cases/{case}", get_case, methods=["GET"]),
        Route("/cases/{case}/plan", file_plan, methods=["POST"]),
        Route("/cases/{case}/support", assign_support, methods=["POST"]),
        Route("/people/{person}/load", person_load, methods=["GET"]),
    ], lifespan=lifespan)


if __name__ == "__main__":
    import uvicorn

    uvicorn.run("app:create_app", factory=True, host=os.environ.get("HOST", "127.0.0.1"),
                port=int(os.environ.get("PORT", "8000")), workers=2)

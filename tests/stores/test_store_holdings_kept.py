"""The posts' holders a campaign keeps: never from a rolled-back record.

A record appended inside a transaction that rolls back leaves its position to the next
record anyone appends; the kept holdings are keyed by that position and the entry's hash,
so they are worked out again (found in review: keyed by the position alone, the campaign
answered from an appointment that never happened).
"""

from __future__ import annotations

import pytest
from ledger_workers import DAY, DEPT, PLAN, RACER, cap_campaign, cap_setup

from conftest import Backend
from rectify import Campaign
from rectify.lifecycle.commands import FilePlan
from rectify.stores import LedgerStore


def _appoint_then_fail(store: LedgerStore, mine: Campaign) -> None:
    """Appoint U9 to V2 in a transaction that then fails (a script composing commands in
    one transaction, or open_cases/record_finding failing after reading the holdings past
    their own records)."""
    with store.transaction():  # type: ignore[attr-defined]
        mine.appoint("V2", RACER.id, actor=DEPT, on=DAY, command_id="undone")
        assert mine.holder("V2", on=DAY) == RACER.id  # worked out under the uncommitted mark
        raise RuntimeError("rolled back")


def test_a_rolled_back_record_does_not_stay_in_the_kept_holdings(durable: Backend) -> None:
    """Holdings kept under a mark seen inside a write transaction that rolls back.

    The position of the rolled-back record is given to the next record appended (the
    head is rolled back too), so the records mark comes back to the same value with
    other records behind it, and the campaign keeps answering from the phantom holdings.
    """
    store = durable.new()
    cap_setup(store, 0)
    mine = cap_campaign(store)
    elsewhere = cap_campaign(durable.new())  # another process on the same ledger
    assert mine.holder("V1", on=DAY) == "P-V1"
    with pytest.raises(RuntimeError, match="rolled back"):
        _appoint_then_fail(store, mine)
    assert not store.has_command("undone")
    elsewhere.vacate("V1", actor=DEPT, on=DAY, command_id="vacated")  # lands at that position
    assert elsewhere.holder("V1", on=DAY) is None
    # The campaign that saw the rolled-back appointment answers from it:
    assert mine.holder("V2", on=DAY) == "P-V2", "phantom appointment from the cache"
    assert mine.holder("V1", on=DAY) is None, "vacancy not seen"


def test_a_rolled_back_record_does_not_let_a_command_pass_a_post_guard(durable: Backend) -> None:
    """The consequence: the plan names P-V1, who lost the post; the campaign that kept the
    phantom holdings accepts it (a fresh campaign refuses it)."""
    store = durable.new()
    cases = cap_setup(store, 0)
    mine = cap_campaign(store)
    elsewhere = cap_campaign(durable.new())
    with pytest.raises(RuntimeError, match="rolled back"):
        _appoint_then_fail(store, mine)
    elsewhere.vacate("V1", actor=DEPT, on=DAY, command_id="vacated")
    fresh = cap_campaign(store).run_bulk([(FilePlan(cases[0], PLAN), "p0")], actor=DEPT,
                                         on=DAY)
    assert "p0" in fresh.refused  # P-V1 no longer holds the post
    got = mine.run_bulk([(FilePlan(cases[0], PLAN), "p0")], actor=DEPT, on=DAY)
    assert "p0" in got.refused, "accepted a plan naming someone who lost the post"


def test_a_failed_finding_does_not_stay_in_the_kept_holdings(
        durable: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without any transaction of the caller's: record_finding appends its finding (a
    record), reads holdings() under that uncommitted mark, then fails (here: a lost
    connection while it works out the ladder's steps) and rolls back."""
    from rectify.errors import LedgerUnavailable

    store = durable.new()
    cap_setup(store, 0)
    mine = cap_campaign(store)
    elsewhere = cap_campaign(durable.new())

    def lost(*_args: object, **_kwargs: object) -> list[object]:
        raise LedgerUnavailable("the server", "connection lost", "retry")

    with monkeypatch.context() as patched:
        patched.setattr(Campaign, "_basis_steps", lost)
        with pytest.raises(LedgerUnavailable):
            mine.record_finding("V3", "spot_check", actor=DEPT, on=DAY, command_id="finding")
    assert not store.has_command("finding")
    elsewhere.vacate("V1", actor=DEPT, on=DAY, command_id="vacated")
    assert mine.holder("V1", on=DAY) is None, "vacancy not seen: holdings kept from the phantom"

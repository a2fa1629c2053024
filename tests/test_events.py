"""Domain events: one registry of types, and lossless plain-data and byte round trips."""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify import events
from rectify.errors import InvalidValueError
from rectify.events import EVENT_TYPES, SCHEMA_VERSION, Event, event_from_dict, event_to_dict
from rectify.stores.codec import decode, encode, encode_dict

SUBCLASSES = {cls.__name__ for cls in vars(events).values()
              if isinstance(cls, type) and issubclass(cls, Event) and cls is not Event}


def test_every_event_type_is_registered() -> None:
    """EVENT_TYPES names each concrete event class exactly once, by its class name."""
    assert set(EVENT_TYPES) == SUBCLASSES
    assert all(cls.__name__ == name for name, cls in EVENT_TYPES.items())


def _events() -> st.SearchStrategy[Event]:
    """Any registered event with its fields drawn from their types."""
    common = {"stream": st.just("2017-V1"), "version": st.integers(1, 10**6),
              "actor": st.text(min_size=1, max_size=5), "on": st.dates(date(1990, 1, 1)),
              "policy": st.text(max_size=8), "command": st.text(min_size=1, max_size=8)}
    classes = sorted(EVENT_TYPES.values(), key=lambda c: c.__name__)
    for cls in classes:
        attrs.resolve_types(cls)  # the annotations are strings (postponed evaluation)
    def build(cls: type[Event]) -> st.SearchStrategy[Event]:
        # JSON numbers of the ledger are 64-bit: draw ints (and tuples of them) in range.
        small = st.integers(0, 10**6)
        numbers: dict[str, st.SearchStrategy[object]] = {}
        for f in attrs.fields(cls):  # type: ignore[misc]
            if f.name in common:
                continue
            if f.type is int:
                numbers[f.name] = small
            elif f.type == tuple[int, ...]:
                numbers[f.name] = st.lists(small, max_size=4).map(tuple)
            elif f.type is float:  # JSON has no NaN or infinity (a score is a real number)
                numbers[f.name] = st.floats(allow_nan=False, allow_infinity=False)
        return st.builds(cls, **common, **numbers)

    return st.sampled_from(classes).flatmap(build)


@given(_events())
def test_events_round_trip_through_plain_data_and_bytes(event: Event) -> None:
    """event_to_dict/event_from_dict and the store codec give back an equal event."""
    data = event_to_dict(event)
    assert data["type"] == type(event).__name__
    assert data["schema"] == SCHEMA_VERSION
    assert event_from_dict(data) == event
    assert decode(encode(event)) == event


def test_unknown_types_and_newer_schemas_are_refused() -> None:
    """A foreign type or a schema from a newer release is a typed error with the fix."""
    with pytest.raises(InvalidValueError, match="an event type"):
        event_from_dict({"type": "Gossip"})
    with pytest.raises(InvalidValueError, match="upgrade rectify"):
        event_from_dict({"type": "CaseDelisted", "schema": SCHEMA_VERSION + 1})


@given(_events(), st.data())
def test_fast_decoding_agrees_with_the_general_path(event: Event, data: st.DataObject) -> None:
    """decode() fills an event's fields straight from the JSON; a payload that lacks a
    defaulted field, or carries one too many, takes the __init__/cattrs path instead:
    either way the event is the one its fields describe."""
    from rectify.stores.codec import _decode_general

    payload = encode(event)
    assert decode(payload) == _decode_general(event_to_dict(event)) == event
    fields = attrs.fields(type(event))  # type: ignore[misc]
    defaulted = [f.name for f in fields if f.default is not attrs.NOTHING]
    if defaulted:
        name = data.draw(st.sampled_from(defaulted))
        short = {k: v for k, v in event_to_dict(event).items() if k != name}
        default = next(f.default for f in fields if f.name == name)
        assert decode(encode_dict(short)) == attrs.evolve(event, **{name: default})
    extra = {**event_to_dict(event), "unknown": 1}
    with pytest.raises(InvalidValueError):
        decode(encode_dict(extra))


@given(_events())
def test_encoding_is_the_sorted_json_of_the_plain_data(event: Event) -> None:
    """encode() writes exactly orjson's key-sorted JSON of event_to_dict (what is hashed)."""
    import orjson

    assert encode(event) == orjson.dumps(event_to_dict(event), option=orjson.OPT_SORT_KEYS)

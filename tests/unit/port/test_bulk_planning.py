"""Cutting entity lists into bulk requests within Port's limits (≤ 20 entities, ≤ 1 MiB)."""

from __future__ import annotations

import json

from jira_port.port.types import encode_json
from jira_port.port.writes import MAX_BODY_BYTES, bulk_body_size, plan_batches


def _entity(i: int, size: int = 10) -> dict[str, object]:
    return {"identifier": f"E-{i}", "properties": {"description": "x" * size}}


def test_batches_hold_at_most_20_entities_in_order() -> None:
    entities = [_entity(i) for i in range(45)]
    batches, oversized = plan_batches(entities)
    assert [len(b) for b in batches] == [20, 20, 5]
    assert [i for b in batches for i in b.indexes] == list(range(45))
    assert oversized == []


def test_body_is_exactly_what_the_size_accounts_for() -> None:
    entities = [_entity(i) for i in range(3)]
    batches, _ = plan_batches(entities)
    body = batches[0].body
    assert json.loads(body) == {"entities": entities}
    assert len(body) == len(batches[0].body) == bulk_body_size([encode_json(e) for e in entities])
    assert body == b'{"entities":[' + b",".join(encode_json(e) for e in entities) + b"]}"


def test_batches_stay_under_the_byte_limit() -> None:
    big = 300_000  # four of these exceed 1 MiB
    batches, oversized = plan_batches([_entity(i, big) for i in range(7)])
    assert all(len(b.body) <= MAX_BODY_BYTES for b in batches)
    assert [len(b) for b in batches] == [3, 3, 1]
    assert oversized == []


def test_an_entity_alone_over_the_limit_is_set_aside() -> None:
    entities = [_entity(0), _entity(1, MAX_BODY_BYTES), _entity(2)]
    batches, oversized = plan_batches(entities)
    assert oversized == [1]
    assert [b.indexes for b in batches] == [[0, 2]]


def test_exact_limit_is_allowed() -> None:
    probe = _entity(0, 0)
    overhead = bulk_body_size([encode_json(probe)])
    fitting = _entity(0, MAX_BODY_BYTES - overhead)
    assert bulk_body_size([encode_json(fitting)]) == MAX_BODY_BYTES
    batches, oversized = plan_batches([fitting])
    assert oversized == [] and len(batches) == 1


def test_size_counts_utf8_bytes_not_characters() -> None:
    entity = {"identifier": "Ü-1", "title": "é" * 10}
    assert len(encode_json(entity)) == len(
        json.dumps(entity, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert len(encode_json(entity)) > len(json.dumps(entity, separators=(",", ":"), ensure_ascii=False))


def test_halves_split_a_batch() -> None:
    entities = [_entity(i) for i in range(5)]
    batches, _ = plan_batches(entities)
    left, right = batches[0].halves(entities)
    assert left.indexes == [0, 1] and right.indexes == [2, 3, 4]
    assert json.loads(right.body) == {"entities": entities[2:]}


def _one_by_one(entities: list[dict[str, object]], skip: frozenset[int], limit: int) -> list[list[int]]:
    """Port's limits applied entity by entity: the batches the planner must make."""
    batches: list[list[int]] = [[]]
    size = 0
    for index, entity in enumerate(entities):
        part = len(encode_json(entity))
        if index in skip or bulk_body_size([b"x" * part]) > limit:
            continue
        if batches[-1] and (len(batches[-1]) == 20 or size + 1 + part > limit):
            batches.append([])
        size = (size + 1 + part) if batches[-1] else bulk_body_size([b"x" * part])
        batches[-1].append(index)
    return [b for b in batches if b]


def test_batches_are_those_of_the_limits_applied_entity_by_entity() -> None:
    sizes = [10, 40_000, 10, 300_000, 600_000, 10, *[10] * 25, MAX_BODY_BYTES, 500_000, 500_000, 10]
    entities = [_entity(i, size) for i, size in enumerate(sizes)]
    for skip in (frozenset(), frozenset({0, 5, 7})):
        batches, oversized = plan_batches(entities, skip=skip)
        assert [b.indexes for b in batches] == _one_by_one(entities, skip, MAX_BODY_BYTES)
        assert oversized == [31] and all(len(b.body) <= MAX_BODY_BYTES for b in batches)
        for batch in batches:
            assert json.loads(batch.body) == {"entities": [entities[i] for i in batch.indexes]}

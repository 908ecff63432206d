"""One bulk upsert batch or one bulk delete chunk, with Port's partial-failure rules.

- Bulk upsert answers 200/207 with per-index ``entities`` and ``errors``: entities that failed
  transiently are sent again (``ENTITY_RETRY_ROUNDS``), the rest are reported.
- 413 splits the batch in halves; 422 for the whole body falls back to one-by-one upserts so the
  culprit is named. Any other error fails every entity of the batch.
- Bulk delete is all-or-nothing: a refused chunk is retried one entity at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from jira_port.port.bulk import Batch, entity_label
from jira_port.port.errors import EntityFailure, PortAPIError
from jira_port.port.models import BulkResult, PortStats
from jira_port.port.requester import PortRequester, PortResponse, flag, segment
from jira_port.transport import RetryPolicy

# Entities a 207 reported as transiently failed are sent again this many times.
ENTITY_RETRY_ROUNDS = 2

UpsertOne = Callable[[str, dict[str, Any], bool], object]
DeleteOne = Callable[[str, str, bool], bool]


class BulkWriter:
    """Sends bulk batches; single-entity fallbacks go through the client's own calls."""

    def __init__(
        self,
        api: PortRequester,
        *,
        stats: PortStats,
        policy: RetryPolicy,
        upsert_one: UpsertOne,
        delete_one: DeleteOne,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api = api
        self._stats = stats
        self._policy = policy
        self._upsert_one = upsert_one
        self._delete_one = delete_one
        self._sleep = sleep

    def upsert_batch(
        self, blueprint: str, entities: Sequence[dict[str, Any]], batch: Batch, params: dict[str, str]
    ) -> BulkResult:
        """Upsert the entities of ``batch`` (positions into ``entities``) in one bulk request."""
        result = BulkResult(blueprint, "upsert")
        pending = batch
        for round_ in range(ENTITY_RETRY_ROUNDS + 1):
            try:
                response = self._api.call(
                    "POST",
                    f"/v1/blueprints/{segment(blueprint)}/entities/bulk",
                    params=params,
                    body=pending.body(),
                    blueprint=blueprint,
                )
            except PortAPIError as exc:  # no answer at all, or no token
                result.failures.extend(_fail_all(blueprint, entities, pending, exc))
                return result
            result.retried += response.retried
            if response.status == 413 and len(pending) > 1:
                self._stats.add(batch_splits=1)
                for half in pending.halves():
                    result.extend(self.upsert_batch(blueprint, entities, half, params))
                return result
            if response.status == 422 and len(pending) > 1:
                # The whole body was refused: find the culprit(s) one entity at a time.
                self._stats.add(single_fallbacks=1)
                result.extend(self._upsert_singly(blueprint, entities, pending, params))
                return result
            if not response.ok:
                result.failures.extend(_fail_all(blueprint, entities, pending, response.error(blueprint)))
                return result
            retry = _read_bulk_answer(
                blueprint, entities, pending, response, result, last_round=round_ == ENTITY_RETRY_ROUNDS
            )
            if retry is None:
                return result
            result.retried += 1
            self._sleep(self._policy.backoff(round_ + 1))
            pending = retry
        return result  # pragma: no cover - the last round never asks for a retry

    def _upsert_singly(
        self, blueprint: str, entities: Sequence[dict[str, Any]], batch: Batch, params: dict[str, str]
    ) -> BulkResult:
        result = BulkResult(blueprint, "upsert")
        merge = params.get("merge") == "true"
        for original in batch.indexes:
            entity = entities[original]
            try:
                self._upsert_one(blueprint, entity, merge)
            except PortAPIError as exc:
                result.failures.append(
                    EntityFailure.from_error(exc, blueprint, entity_label(entity), "upsert")
                )
            else:
                result.succeeded.append(entity_label(entity))
        return result

    def delete_chunk(self, blueprint: str, ids: list[str], delete_dependents: bool) -> BulkResult:
        """Delete ``ids`` (≤ 100) in one bulk request, falling back to single deletes if refused."""
        result = BulkResult(blueprint, "delete")
        try:
            response = self._api.call(
                "POST",
                f"/v1/blueprints/{segment(blueprint)}/bulk/entities/delete",
                params={"delete_dependents": flag(delete_dependents)},
                body={"entities": ids},
                blueprint=blueprint,
            )
        except PortAPIError as exc:
            result.failures.extend(EntityFailure.from_error(exc, blueprint, i, "delete") for i in ids)
            return result
        result.retried += response.retried
        if response.ok:
            body = response.body if isinstance(response.body, dict) else {}
            deleted = set(body.get("deletedEntities") or [])
            result.succeeded.extend(i for i in ids if i in deleted)
            result.absent.extend(i for i in ids if i not in deleted)
            return result
        error = response.error(blueprint)
        if error.transient:
            result.failures.extend(EntityFailure.from_error(error, blueprint, i, "delete") for i in ids)
            return result
        # All-or-nothing batch refused (e.g. one entity has required dependents): isolate the culprit.
        self._stats.add(single_fallbacks=1)
        for ident in ids:
            try:
                gone = self._delete_one(blueprint, ident, delete_dependents)
            except PortAPIError as exc:
                result.failures.append(EntityFailure.from_error(exc, blueprint, ident, "delete"))
            else:
                (result.succeeded if gone else result.absent).append(ident)
        return result


def _read_bulk_answer(
    blueprint: str,
    entities: Sequence[dict[str, Any]],
    batch: Batch,
    response: PortResponse,
    result: BulkResult,
    *,
    last_round: bool,
) -> Batch | None:
    """Record per-index outcomes in ``result``; return the transiently failed entities to resend."""
    body = response.body if isinstance(response.body, dict) else {}
    done: dict[int, bool] = {}
    for item in body.get("entities") or []:
        if isinstance(item, dict) and isinstance(item.get("index"), int | float):
            done[int(item["index"])] = bool(item.get("created"))
    errors = {
        int(e["index"]): e
        for e in body.get("errors") or []
        if isinstance(e, dict) and isinstance(e.get("index"), int | float)
    }
    retry = Batch()
    for position, original in enumerate(batch.indexes):
        ident = entity_label(entities[original])
        if position in done and position not in errors:
            result.succeeded.append(ident)
            result.created += done[position]
            continue
        err = errors.get(position)
        failure = (
            PortAPIError(
                int(err.get("statusCode") or 500),
                str(err.get("error") or "unknown"),
                str(err.get("message") or ""),
                ident,
                blueprint,
            )
            if err is not None
            else PortAPIError(
                500, "missing_result", "Port's bulk answer did not mention this entity", ident, blueprint
            )
        )
        if failure.transient and not last_round:
            retry.indexes.append(original)
            retry.parts.append(batch.parts[position])
        else:
            result.failures.append(EntityFailure.from_error(failure, blueprint, ident, "upsert"))
    return retry if retry.indexes else None


def _fail_all(
    blueprint: str, entities: Sequence[dict[str, Any]], batch: Batch, exc: PortAPIError
) -> list[EntityFailure]:
    return [
        EntityFailure.from_error(exc, blueprint, entity_label(entities[i]), "upsert") for i in batch.indexes
    ]

"""Input validation, page writing (guard, failure tallies, dry run) and the summary."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from jira_port.backfill.pages import PageWriter
from jira_port.backfill.report import BackfillSummary, tally_failures
from jira_port.backfill.runtime import (
    BackfillRequest,
    ContinuationError,
    InvalidRequestError,
    LambdaContinuation,
)
from jira_port.backfill.store import PartitionState, RunState, Tally
from jira_port.port.types import Action
from jira_port_tools.backfill_local import DryRunApply
from jira_port_tools.summary_text import render_summary

from .fakes import Failure, FakeGuard, FakePort, as_guard


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        {},
        {"mode": "FULL"},
        {"mode": "delta"},
        {"mode": "full", "extra": 1},
        {"mode": "full", "runId": ""},
    ],
)
def test_bad_inputs_are_refused_with_a_clear_error(event):
    with pytest.raises(InvalidRequestError, match=r"mode|runId|keys|object"):
        BackfillRequest.parse(event)


def test_good_inputs_parse():
    assert BackfillRequest.parse({"mode": "incremental"}) == BackfillRequest("incremental")
    assert BackfillRequest.parse({"mode": "full", "runId": "r"}).payload("r") == {
        "mode": "full",
        "runId": "r",
    }


def test_failures_are_counted_by_code_with_the_first_examples():
    failures = [Failure("bp", f"I-{n}", "upsert", 422, "invalid", "m" * 500, False) for n in range(7)]
    failures.append(Failure("bp", "X", "upsert", 0, "connection_error", "no answer", True))
    tally = tally_failures(failures)
    assert tally.rejected == 8 and tally.codes == {"invalid (422)": 7, "connection_error (no response)": 1}
    assert len(tally.examples) == 5 and len(tally.examples[0]["message"]) == 300


def test_page_writer_drops_upserts_superseded_by_live_changes():
    port = FakePort()
    writer = PageWriter(port.apply, as_guard(FakeGuard({("b", "new"): 10})))
    actions = [Action("upsert", "b", {"identifier": "new"}), Action("upsert", "b", {"identifier": "old"})]
    tally = writer.write(actions, read_at_ms=5)
    assert (tally.upserted, tally.skipped_newer) == (1, 1) and port.ids("b") == {"old"}


def test_dry_run_prints_actions_as_json_lines():
    out = io.StringIO()
    result = DryRunApply(out)(
        [Action("upsert", "b", {"identifier": "a"}), Action("delete", "b", {"identifier": "c"}, True)]
    )
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines == [
        {"operation": "upsert", "blueprint": "b", "entity": {"identifier": "a"}},
        {"operation": "delete", "blueprint": "b", "entity": {"identifier": "c"}, "deleteDependents": True},
    ]
    assert (result.upserted, result.deleted) == (1, 1)


def test_tallies_add_up_and_keep_five_examples():
    total = Tally()
    for n in range(4):
        total.add(Tally(pages=1, items=2, rejected=2, codes={"c": 2}, examples=[{"n": n}, {"n": n}]))
    assert (total.pages, total.items, total.rejected, total.codes) == (4, 8, 8, {"c": 8})
    assert len(total.examples) == 5
    assert Tally.from_json(total.to_json()) == total


def test_summary_of_a_run_counts_partitions_and_renders():
    run = RunState("r", "full", "s", started_ms=1_000, finished_ms=11_000, active_ms=4_000, invocations=2)
    run.projects = Tally(items=2, upserted=2)
    run.reconciliation = {"refused": False, "deleted": 3, "failed": 0}
    parts = [
        PartitionState("A", "j", status="done", tally=Tally(pages=2, items=150, upserted=150)),
        PartitionState("B", "j", status="done", tally=Tally(pages=1, items=50, upserted=50)),
    ]
    summary = BackfillSummary.of_run(run, parts, "succeeded", Tally())
    data = summary.to_dict()
    assert data["ok"] is True and data["issues"] == 200 and data["pages"] == 3 and data["projects"] == 2
    assert data["upserted"] == 202 and data["deleted"] == 3
    assert data["durationSeconds"] == 10.0 and data["issuesPerSecond"] == 50.0
    assert data["partitions"] == {"total": 2, "done": 2, "failed": 0, "pending": 0}
    text = render_summary(summary)
    assert "OK" in text and "200 issues in 3 pages" in text and "reconcile deleted 3" in text


def test_lambda_continuation_invokes_the_function_asynchronously():
    calls: list[dict[str, Any]] = []

    class Client:
        def invoke(self, **kwargs: Any) -> dict[str, Any]:
            calls.append(kwargs)
            return {"StatusCode": 202}

    LambdaContinuation("jira-port-backfill", Client()).continue_run({"mode": "full", "runId": "r"})

    assert calls == [
        {
            "FunctionName": "jira-port-backfill",
            "InvocationType": "Event",
            "Payload": b'{"mode": "full", "runId": "r"}',
        }
    ]


def test_a_failed_self_invocation_is_a_clear_error():
    class Client:
        def invoke(self, **kwargs: Any) -> None:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "Invoke")

    with pytest.raises(ContinuationError, match="cannot invoke fn: AccessDeniedException"):
        LambdaContinuation("fn", Client()).continue_run({"mode": "full", "runId": "r"})

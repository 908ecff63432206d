"""Webhook ack latency (the real handler, warm, in-process) and ``jira-port serve`` end to end.

The handler runs exactly as in Lambda (Powertools resolver, Logger, Metrics, signature check, relevance
filter, SQS FIFO ``SendMessage``) against moto served over loopback HTTP, so every ack includes one real
HTTP round trip to a local SQS; Lambda's own overhead and the network to API Gateway are not included.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import statistics
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from jira_port.live.auth import WebhookAuthenticator, compute_signature
from jira_port.live.receive import Enqueuer, WebhookReceiver
from jira_port.live.runtime import live_mapping
from jira_port.observability import logger
from jira_port.settings.live import WebhookSettings
from jira_port_emulators.port import PortFaults
from jira_port_tools.serve.lambda_events import LocalLambdaContext, http_api_event
from jira_port_tools.serve.local_aws import LocalAws
from jira_port_tools.serve.local_server import LocalServer, functions_dir, load_function
from tests.support.fixtures import FIXTURES
from tests.support.port_emulator import CLIENT_ID, CLIENT_SECRET, new_emulator

SECRET = "jira-port-bench-secret"  # noqa: S105 - a local benchmark key
INVOCATIONS = 2000
# moto scans every queued message on each request; emptying the queue between rounds keeps SQS flat.
ROUND = 100
SERVE_DELIVERIES = 200
S3_ENV = {"MAX_MESSAGE_BYTES": "4096"}
SERVE_CLIENTS = 4
PORT_LATENCY = 0.02
SMALL = {"timestamp": 1767225600000, "webhookEvent": "project_updated",
         "project": {"self": "https://acme.atlassian.net/rest/api/2/project/10000", "id": 10000, "key": "TES",
                     "name": "test1", "projectTypeKey": "software"}}  # fmt: skip


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Logs and EMF lines still get formatted (their cost counts) but go nowhere."""
    handlers = [h for h in logging.getLogger(logger.name).handlers if isinstance(h, logging.StreamHandler)]
    streams = [h.setStream(io.StringIO()) for h in handlers]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        for handler, stream in zip(handlers, streams, strict=True):
            if stream is not None:
                handler.setStream(stream)


def event_for(raw: bytes, index: int) -> dict[str, Any]:
    headers = [
        ("content-type", "application/json; charset=utf-8"),
        ("x-atlassian-webhook-identifier", f"bench-{index}"),
        ("x-hub-signature", compute_signature(SECRET, raw)),
    ]
    return http_api_event(
        method="POST", path="/webhook", query_string="", headers=headers, body=raw, route_key="POST /webhook"
    )


def empty(sqs: Any, url: str) -> None:
    """Consume everything queued (outside the timed region)."""
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)


def percentile(sorted_ms: list[float], share: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, round(share * (len(sorted_ms) - 1)))]


class MemorySqs:
    """An in-memory ``send_message`` (isolates jira-port's own work from the SQS round trip)."""

    def __init__(self) -> None:
        self.sent = 0

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        self.sent += 1
        return {"MessageId": f"m-{self.sent}"}


def ack_latency(
    label: str, raw: bytes, extra_env: dict[str, str], *, calls: int, memory: bool = False
) -> str:
    aws = LocalAws()
    aws.start()
    sqs = aws.client("sqs")
    try:
        env = {
            **aws.env(),
            **extra_env,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "WEBHOOK_SECRET": SECRET,
        }
        with environment(env), quiet():
            module: Any = load_function("webhook", functions_dir())
            if memory:
                settings = WebhookSettings.from_env()
                enqueuer = Enqueuer(
                    cast(Any, MemorySqs()), "memory.fifo", payloads=None, max_message_bytes=10**6
                )
                stubbed = WebhookReceiver(
                    settings, authenticator=WebhookAuthenticator(settings), mapping=live_mapping("relevance"),
                    enqueuer=enqueuer,
                )  # fmt: skip
                module.receiver = lambda: stubbed
            handler = module.lambda_handler
            events = [event_for(raw, i) for i in range(calls + 50)]
            for event in events[:50]:  # warm-up: cold start, connections, caches
                assert handler(event, LocalLambdaContext("bench"))["statusCode"] == 202
            samples: list[float] = []
            for start in range(50, len(events), ROUND):
                empty(sqs, aws.queue_url)
                for event in events[start : start + ROUND]:
                    context = LocalLambdaContext("bench")
                    started = time.perf_counter()
                    response = handler(event, context)
                    samples.append((time.perf_counter() - started) * 1000)
                    assert response["statusCode"] == 202, response
    finally:
        aws.stop()
    ms = sorted(samples)
    return (
        f"| {label} | {len(raw):,} | {len(ms):,} | {percentile(ms, 0.5):.2f} | {percentile(ms, 0.95):.2f} "
        f"| {percentile(ms, 0.99):.2f} | {statistics.fmean(ms):.2f} |"
    )


def serve_throughput(raw_template: dict[str, Any]) -> str:
    emulator = new_emulator(faults=PortFaults(latency=PORT_LATENCY, seed=1))
    with emulator.running() as port:
        env = {"PORT_API_URL": port.url, "PORT_CLIENT_ID": CLIENT_ID, "PORT_CLIENT_SECRET": CLIENT_SECRET,
               "WEBHOOK_SECRET": SECRET, "JIRA_BASE_URL": "https://acme.atlassian.net"}  # fmt: skip
        with environment(env), quiet():
            server = LocalServer(port=0, retry_delay_seconds=0)
            with server.running():
                bodies = []
                for i in range(SERVE_DELIVERIES):
                    body = json.loads(json.dumps(raw_template))
                    body["issue"]["id"], body["issue"]["key"] = str(50_000 + i), f"BENCH-{i}"
                    bodies.append(json.dumps(body, separators=(",", ":")).encode())

                def send(raw: bytes) -> int:
                    request = urllib.request.Request(
                        server.webhook_url, data=raw, method="POST",
                        headers={"X-Hub-Signature": compute_signature(SECRET, raw)},
                    )  # fmt: skip
                    with urllib.request.urlopen(request, timeout=30) as response:
                        return int(response.status)

                started = time.perf_counter()
                with ThreadPoolExecutor(SERVE_CLIENTS) as pool:
                    statuses = list(pool.map(send, bodies))
                acked = time.perf_counter() - started
                server.drain(timeout=600)
                synced = time.perf_counter() - started
        assert statuses.count(202) == SERVE_DELIVERIES
        assert len(emulator.entities("jiraIssue")) == SERVE_DELIVERIES
    return (
        f"| {SERVE_DELIVERIES} | {SERVE_CLIENTS} | {SERVE_DELIVERIES / acked:,.0f} | "
        f"{SERVE_DELIVERIES / synced:,.0f} | {synced:.1f} |"
    )


def run() -> str:
    """Measure and return the Markdown section."""
    large = json.loads(
        (FIXTURES / "jira-webhooks" / "webhook-cloud-issue-created-many-fields.json").read_text()
    )
    small_raw = json.dumps(SMALL, separators=(",", ":")).encode()
    large_raw = json.dumps(large, separators=(",", ":")).encode()
    rows = [
        ack_latency("small (project_updated), moto SQS", small_raw, {}, calls=INVOCATIONS),
        ack_latency("large (Cloud issue, 60+ custom fields), moto SQS", large_raw, {}, calls=INVOCATIONS),
        ack_latency("large, body to moto S3 (MAX_MESSAGE_BYTES=4096)", large_raw, S3_ENV, calls=500),
        ack_latency(
            "large, SQS in memory: jira-port's own work", large_raw, {}, calls=INVOCATIONS, memory=True
        ),
    ]
    serve = serve_throughput(large)
    return "\n".join(
        [
            "## Webhook",
            "",
            "Warm webhook handler, acknowledgement latency (verify HMAC, parse, relevance jq, enqueue, 202):",
            "",
            "| body, queue | bytes | calls | p50 ms | p95 ms | p99 ms | mean ms |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"`jira-port serve` end to end (real Cloud capture, one issue per delivery, {SERVE_CLIENTS} "
            f"concurrent senders, Port emulator with {PORT_LATENCY * 1000:.0f} ms per request):",
            "",
            "| deliveries | senders | acks/s | synced to Port/s | seconds to empty queue |",
            "|---:|---:|---:|---:|---:|",
            serve,
            "",
            "Measured in-process with `time.perf_counter` around `lambda_handler(event, context)` after 50 "
            "warm-up calls; SQS/S3 are moto behind a loopback HTTP server (one real HTTP round trip per "
            "`SendMessage`, two with S3; the queue is emptied every 100 calls because moto scans all queued "
            "messages per request), logs and metrics formatted as in Lambda. The in-memory row swaps only "
            "the SQS client for a stub: what remains is jira-port's own work. `serve` runs one webhook and "
            "one sync worker (one container each) and is bounded by moto, not by the handlers.",
        ]
    )


if __name__ == "__main__":
    print(run())

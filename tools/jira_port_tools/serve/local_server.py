"""``jira-port serve``: the webhook and sync functions' real handlers behind a local HTTP server.

Requests to ``POST /webhook`` and ``POST /webhook/{token}`` become HTTP API v2 events for the real
``functions/webhook/app.py`` handler; other paths get API Gateway's 404. The queue hop is real SQS code
against moto (see ``local_aws``): a background poller plays the SQS event source mapping for the real
``functions/sync/app.py`` handler, with FIFO grouping, partial batch failures, receive counts and a DLQ.
Each function runs one invocation at a time, like one warm Lambda container. ``GET /_local/status``
reports queue depths.

Programmatic use: ``with LocalServer(port=0).running() as url: ...; server.drain()``. The server sets
the endpoint and resource variables in ``os.environ`` while it runs (one server per process). ``stop``
releases everything ``start`` made: the handler modules (and the clients their cold start built, such
as the sync function's pooled connection to Port), the AWS clients, the threads and the environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from jira_port.errors import ConfigError
from jira_port.live.runtime import close_all
from jira_port.observability import logger
from jira_port_tools.serve.lambda_events import LocalLambdaContext
from jira_port_tools.serve.local_aws import LocalAws
from jira_port_tools.serve.local_http import LocalHandler
from jira_port_tools.serve.local_logs import per_thread_log_context
from jira_port_tools.serve.sqs_poller import SqsPoller


def functions_dir() -> Path:
    """``JIRA_PORT_FUNCTIONS_DIR``, else ``functions/`` of the source tree jira_port was installed from."""
    configured = os.environ.get("JIRA_PORT_FUNCTIONS_DIR")
    path = Path(configured) if configured else Path(__file__).resolve().parents[3] / "functions"
    if not (path / "webhook" / "app.py").is_file():
        raise ConfigError(f"cannot find the function handlers in {path} (set JIRA_PORT_FUNCTIONS_DIR)")
    return path


def load_function(name: str, directory: Path) -> ModuleType:
    """Import ``<directory>/<name>/app.py`` afresh (a cold start) under a private module name."""
    module_name = f"jira_port_local_{name}_app"
    spec = importlib.util.spec_from_file_location(module_name, directory / name / "app.py")
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load {directory / name / 'app.py'}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def unload_function(module: ModuleType) -> None:
    """Undo ``load_function``: forget what the handler cached, close what the composition root built (its
    AWS and Port clients), forget the module."""
    for value in list(vars(module).values()):
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()
    close_all()
    if sys.modules.get(module.__name__) is module:
        del sys.modules[module.__name__]


def _invocation(handler: Callable[[dict[str, Any], Any], Any], event: dict[str, Any], context: Any) -> Any:
    """Run one invocation; afterwards this thread's log lines carry no function context any more."""
    try:
        return handler(event, context)
    finally:
        logger.clear_state()


class LocalServer:
    """Both functions, a local queue and a local HTTP front door."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        max_receive_count: int = 5,
        retry_delay_seconds: int = 1,
    ) -> None:
        self.host = host
        self.port = port
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.aws = LocalAws(region=region, max_receive_count=max_receive_count)
        self._retry_delay = retry_delay_seconds
        self._http: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._poller: SqsPoller | None = None
        self._sqs: Any = None
        self._webhook: ModuleType | None = None
        self._sync: ModuleType | None = None
        self._webhook_lock = threading.Lock()
        self._saved_env: dict[str, str | None] = {}
        self._restore_logs: Callable[[], None] | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8080``."""
        return f"http://{self.host}:{self.port}"

    @property
    def webhook_url(self) -> str:
        """The URL to register as the Jira webhook."""
        return f"{self.url}/webhook"

    def start(self) -> str:
        """Start moto, the poller and the HTTP server; returns the base URL."""
        self.aws.start()
        try:
            self._restore_logs = per_thread_log_context()
            self._set_env(self.aws.env())
            directory = functions_dir()
            self._webhook = load_function("webhook", directory)
            self._sync = sync = load_function("sync", directory)
            self._sqs = self.aws.client("sqs")
            delay = self._retry_delay
            self._poller = SqsPoller(
                self._sqs,
                self.aws.queue_url,
                partial(_invocation, sync.lambda_handler),
                visibility_timeout=self.aws.visibility_timeout,
                retry_delay=lambda count: min(60, delay * 2 ** max(0, count - 1)) if delay else 0,
            )
            self._http = ThreadingHTTPServer((self.host, self.port), LocalHandler)
            self._http.daemon_threads = True
            self._http.owner = self  # type: ignore[attr-defined]
            self.port = self._http.server_address[1]
        except BaseException:
            self._release()
            raise
        self._poller.start()
        self._http_thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="jira-port-serve",
            daemon=True,
        )
        self._http_thread.start()
        logger.info("jira-port serve listening", extra={"webhook_url": self.webhook_url})
        return self.url

    def stop(self) -> None:
        """Stop accepting requests and the poller, release the handlers and their clients, stop moto and
        restore the environment."""
        if self._http is not None and self._http_thread is not None:
            self._http.shutdown()
            self._http_thread.join()
            self._http_thread = None
        if self._poller is not None:
            self._poller.stop()
        self._release()

    def _release(self) -> None:
        # Every step runs even when one fails (ExitStack: last registered runs first).
        with ExitStack() as cleanup:
            if self._restore_logs is not None:
                cleanup.callback(self._restore_logs)
                self._restore_logs = None
            cleanup.callback(self._restore_env)
            cleanup.callback(self.aws.stop)
            if self._sqs is not None:
                cleanup.callback(self._sqs.close)
            for module in (self._sync, self._webhook):
                if module is not None:
                    cleanup.callback(unload_function, module)
            if self._http is not None:
                cleanup.callback(self._http.server_close)
            self._http = self._poller = self._sqs = self._webhook = self._sync = None

    @contextmanager
    def running(self) -> Iterator[str]:
        """``start`` on entry (yields the base URL), ``stop`` on exit."""
        url = self.start()
        try:
            yield url
        finally:
            self.stop()

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until every accepted delivery was synced or dead-lettered."""
        if self._poller is None:
            raise RuntimeError("the server is not running")
        self._poller.drain(timeout)

    def wait_for_sync(self, batches: int = 1, timeout: float | None = None) -> bool:
        """Wait until the sync handler ran ``batches`` batches in all; False on timeout."""
        if self._poller is None:
            raise RuntimeError("the server is not running")
        return self._poller.wait_for_batches(batches, timeout)

    def status(self) -> dict[str, Any]:
        """Queue and DLQ depths and the poller's counters."""
        if self._poller is None:
            raise RuntimeError("the server is not running")
        stats = self._poller.stats
        return {
            "queued": self._poller.depth(),
            "deadLettered": self.dead_letter_count(),
            "batches": stats.batches,
            "synced": stats.deleted,
            "failedAttempts": stats.failed,
        }

    def dead_letter_count(self) -> int:
        """Messages in the DLQ."""
        attrs = self._client().get_queue_attributes(
            QueueUrl=self.aws.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"])

    def dead_letters(self) -> list[dict[str, Any]]:
        """Envelopes of the DLQ's first messages (up to 10, peeked: they stay in the DLQ)."""
        sqs = self._client()
        messages = sqs.receive_message(
            QueueUrl=self.aws.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=30
        ).get("Messages", [])
        for message in messages:
            sqs.change_message_visibility(
                QueueUrl=self.aws.dlq_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return [json.loads(m["Body"]) for m in messages]

    def _client(self) -> Any:
        if self._sqs is None:
            raise RuntimeError("the server is not running")
        return self._sqs

    def invoke_webhook(self, event: dict[str, Any]) -> dict[str, Any]:
        """Run the webhook handler on one HTTP API event (one invocation at a time)."""
        if self._webhook is None:
            raise RuntimeError("the server is not running")
        with self._webhook_lock:
            result: dict[str, Any] = _invocation(
                self._webhook.lambda_handler, event, LocalLambdaContext("jira-port-webhook", 10)
            )
        return result

    def _set_env(self, values: dict[str, str]) -> None:
        if boto3.session.Session().get_credentials() is None:
            values = {
                **values,
                "AWS_ACCESS_KEY_ID": "jira-port-local",
                "AWS_SECRET_ACCESS_KEY": "jira-port-local",
            }
        values.setdefault("AWS_DEFAULT_REGION", self.aws.region)
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _restore_env(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

"""The live path's AWS resources, locally: moto's server on 127.0.0.1 with the stack's queue, DLQ, bucket
and table, so ``jira-port serve`` runs exactly the AWS code paths the functions run in Lambda.

Only SQS, S3 and DynamoDB are redirected (``AWS_ENDPOINT_URL_<SERVICE>``); Secrets Manager keeps its
normal endpoint, so locally the webhook secret and Port credentials come from ``WEBHOOK_SECRET`` and
``PORT_CLIENT_ID``/``PORT_CLIENT_SECRET``. One difference from SQS: moto forgets a deduplication id once
its message is deleted, whereas SQS remembers it for 5 minutes; the version guard makes duplicates
harmless either way.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from contextlib import closing
from functools import cache
from typing import Any

import boto3

from jira_port.errors import ConfigError

REGION = "us-east-1"
QUEUE_NAME = "jira-port-local-sync.fifo"
DLQ_NAME = "jira-port-local-sync-dlq.fifo"
BUCKET = "jira-port-local-payloads"
TABLE = "jira-port-local-state"
_SERVICES = ("SQS", "S3", "DYNAMODB")


class LocalAws:
    """Starts moto's threaded server and creates the resources; ``env()`` points the handlers at them."""

    def __init__(
        self, *, region: str = REGION, max_receive_count: int = 5, visibility_timeout: int = 60
    ) -> None:
        self.region = region
        self.max_receive_count = max_receive_count
        self.visibility_timeout = visibility_timeout
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.endpoint = ""
        self.queue_url = ""
        self.dlq_url = ""

    def start(self) -> None:
        """Start the server on a free port and create queue, DLQ, bucket and table."""
        app, handler = _moto_app()
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="moto", daemon=True
        )
        self._thread.start()
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        try:
            # moto keeps its state per process: start from a clean slate even after an earlier server.
            reset = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")  # noqa: S310
            with urllib.request.urlopen(reset, timeout=10):  # noqa: S310 - our own loopback server
                pass
            self._create_resources()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (the next start resets moto's state)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def env(self) -> dict[str, str]:
        """Environment variables that send the handlers' SQS, S3 and DynamoDB calls here."""
        values = {f"AWS_ENDPOINT_URL_{service}": self.endpoint for service in _SERVICES}
        values.update({"QUEUE_URL": self.queue_url, "PAYLOAD_BUCKET": BUCKET, "STATE_TABLE": TABLE})
        return values

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` on the local endpoint."""
        return boto3.session.Session().client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="jira-port-local",
            aws_secret_access_key="jira-port-local",  # noqa: S106 - moto accepts any credentials
        )

    def _create_resources(self) -> None:
        with closing(self.client("sqs")) as sqs, closing(self.client("s3")) as s3:
            self._create_queues(sqs)
            s3.create_bucket(Bucket=BUCKET)
        with closing(self.client("dynamodb")) as ddb:
            self._create_table(ddb)

    def _create_queues(self, sqs: Any) -> None:
        self.dlq_url = sqs.create_queue(
            QueueName=DLQ_NAME, Attributes={"FifoQueue": "true", "MessageRetentionPeriod": "1209600"}
        )["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=self.dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": self.max_receive_count}
        self.queue_url = sqs.create_queue(
            QueueName=QUEUE_NAME,
            Attributes={
                "FifoQueue": "true",
                "DeduplicationScope": "messageGroup",
                "FifoThroughputLimit": "perMessageGroupId",
                "VisibilityTimeout": str(self.visibility_timeout),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]

    @staticmethod
    def _create_table(ddb: Any) -> None:
        ddb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        ddb.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
        )


@cache
def _moto_app() -> tuple[Any, Any]:
    """moto's WSGI dispatcher (built once per process: it caches one app per service) and handler."""
    try:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
    except ImportError:
        raise ConfigError(
            "jira-port serve needs moto[server] (pip install -r requirements-dev.txt)"
        ) from None
    return DomainDispatcherApplication(create_backend_app), MotoRequestHandler

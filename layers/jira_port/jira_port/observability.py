"""The Powertools singletons. Import these; never instantiate new Logger/Metrics/Tracer objects.

Library modules log through ``logger`` too: its output is structured JSON in Lambda and in the CLI.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "jira-port"
NAMESPACE = "JiraPort"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)

__all__ = ["NAMESPACE", "SERVICE", "MetricUnit", "logger", "metrics", "tracer"]

"""Suite-wide isolation: Powertools' Logger and Metrics are process-wide singletons.

Tests run many handlers, CLIs and local servers in one process (and one xdist worker runs many files), so
each test starts from the state a fresh Lambda container would have: no buffered metrics, INFO logging.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from jira_port.observability import logger, metrics


@pytest.fixture(autouse=True)
def _fresh_powertools_state() -> Iterator[None]:
    metrics.clear_metrics()
    logger.setLevel(logging.INFO)
    yield
    metrics.clear_metrics()

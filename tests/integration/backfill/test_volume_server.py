"""The faulty large backfill on the Server/Data Center flavour (20,000 issues in 200 projects).

A separate module so that test runners distributing by file run it beside the Cloud case.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_volume import check_faulty_large_backfill


@pytest.mark.slow
def test_a_faulty_server_backfill_leaves_exactly_the_mapped_jira_state(tmp_path: Path) -> None:
    check_faulty_large_backfill(tmp_path, "server", 200, 20_000)

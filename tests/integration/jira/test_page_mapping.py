"""Generated emulator pages through the real client: the raw search bytes ride along with each page,
and mapping a page in one jq run equals mapping its issues one by one, for every bundled mapping,
with the derived fields and with ``*all``."""

from __future__ import annotations

import pytest

from jira_port.backfill.mapper import BackfillMapper
from jira_port.mapping import BUNDLED_MAPPINGS, load_mapping
from tests.support.jira_emulator import running_jira

READ_AT = 1_733_000_000_123


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_page_mapping_equals_issue_mapping_on_generated_pages(flavour: str) -> None:
    mappers = [
        BackfillMapper(load_mapping(name), "https://jira.example.com") for name in sorted(BUNDLED_MAPPINGS)
    ]
    with running_jira(flavour, projects=2, issues=120, seed=7) as jira:
        client = jira.client(page_size=25)
        for mapper in mappers:
            derived, expand = mapper.issue_request(None, None)
            assert derived != ["*all"]
            for fields in (derived, ["*all"]):
                pages = 0
                for page in client.iter_issue_pages(fields=fields, expand=expand):
                    assert page.raw is not None
                    by_page = mapper.map_page(page, READ_AT)
                    one_by_one = mapper.map_issues(page.issues, READ_AT)
                    assert by_page == one_by_one
                    assert len(by_page.actions) >= len(page.issues)
                    pages += 1
                assert pages >= 5

"""What the layer derives from its bundled mappings at build time stays equal to what they say now.

``make mapping-data`` writes ``default-mapping.json`` from the commented ``default-mapping.yaml`` (the
functions load the JSON, so none imports PyYAML at cold start) and ``proof-table.json``, the proof's costs
of the bundled mappings' expressions (a cold start reads them instead of running the proof).
"""

from __future__ import annotations

import json
import subprocess
import sys

from jira_port.mapping import bundled_mapping_text
from jira_port.mapping.config import parse_text
from jira_port.mapping.load import read_local
from jira_port.mapping.proof import TABLE
from jira_port_tools.mapping_data import default_mapping_json, proof_table
from tests.infra.test_layer_contents import LAYER

DATA = LAYER / "data"


def test_the_json_copy_holds_the_same_rules_as_the_yaml() -> None:
    from_yaml = parse_text((DATA / "default-mapping.yaml").read_text(encoding="utf-8"), "yaml")
    from_json = json.loads((DATA / "default-mapping.json").read_text(encoding="utf-8"))
    assert from_json == from_yaml, "default-mapping.json is stale: run `make mapping-data`"
    assert (DATA / "default-mapping.json").read_text(encoding="utf-8") == default_mapping_json()


def test_the_proof_table_holds_what_the_proof_says_today() -> None:
    assert (DATA / TABLE).read_text(encoding="utf-8") == proof_table(), "stale: run `make mapping-data`"
    table = json.loads(proof_table())["costs"]
    assert len(table) > 90  # every expression of the three bundled mappings (the default's repeat)
    assert (".body.issue.key", False) in [(entry["jq"], entry["per_item"]) for entry in table]


def test_the_default_loads_from_json_and_shows_as_commented_yaml() -> None:
    text, fmt, label = read_local(None)
    assert fmt == "json"
    assert text == (DATA / "default-mapping.json").read_text(encoding="utf-8")
    assert label == "mapping 'default'"
    assert read_local("default")[:2] == (text, fmt)
    assert bundled_mapping_text("default").startswith("# jira-port's default mapping")


UNTABLED = '[{"blueprint": "b", "entity": {"identifier": ".body.issue.id + \\"-x\\""}}]'


def test_loading_a_bundled_mapping_imports_neither_yaml_nor_the_proof_rules() -> None:
    code = (
        "import sys\n"
        "from jira_port.mapping.load import load_mapping\n"
        "for name in ('default', 'cloud-guide', 'server-guide'):\n"
        "    assert load_mapping(name).proven\n"
        "print('yaml' in sys.modules, 'jira_port.mapping.proof_rules' in sys.modules)\n"
        "from jira_port.mapping.load import load_mapping_text\n"
        f"assert load_mapping_text({UNTABLED!r}, 'json').proven\n"
        "print('jira_port.mapping.proof_rules' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    # an expression the table does not hold is analysed by the rules
    assert done.stdout.split() == ["False", "False", "True"]

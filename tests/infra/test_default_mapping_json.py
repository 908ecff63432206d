"""The bundled default mapping is written once, as commented YAML, and loaded from its JSON copy.

``make default-mapping`` writes ``default-mapping.json`` from ``default-mapping.yaml``; the functions load
the JSON, so neither parses YAML nor imports PyYAML at cold start.
"""

from __future__ import annotations

import json
import subprocess
import sys

from jira_port.mapping import bundled_mapping_text
from jira_port.mapping.config import parse_text
from jira_port.mapping.load import read_local
from tests.infra.test_layer_contents import LAYER

DATA = LAYER / "data"


def test_the_json_copy_holds_the_same_rules_as_the_yaml() -> None:
    from_yaml = parse_text((DATA / "default-mapping.yaml").read_text(encoding="utf-8"), "yaml")
    from_json = json.loads((DATA / "default-mapping.json").read_text(encoding="utf-8"))
    assert from_json == from_yaml, "default-mapping.json is stale: run `make default-mapping`"


def test_the_default_loads_from_json_and_shows_as_commented_yaml() -> None:
    text, fmt, label = read_local(None)
    assert fmt == "json"
    assert text == (DATA / "default-mapping.json").read_text(encoding="utf-8")
    assert label == "mapping 'default'"
    assert read_local("default")[:2] == (text, fmt)
    assert bundled_mapping_text("default").startswith("# jira-port's default mapping")


def test_loading_the_default_mapping_imports_no_yaml() -> None:
    code = (
        "import sys\n"
        "from jira_port.mapping.load import load_mapping\n"
        "load_mapping(None, limits=None)\n"
        "print('yaml' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["False"]

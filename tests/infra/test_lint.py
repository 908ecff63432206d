"""template.yaml passes cfn-lint (with the serverless rules) and, when installed, `sam validate --lint`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint

from tests.infra.stack import ROOT, TEMPLATE, load_sam

SERVERLESS_RULES = "cfn_lint_serverless.rules"
SAM = ROOT / ".tools-venv" / "bin" / "sam"


def _lint(text: str) -> list[str]:
    config = ManualArgs(append_rules=[SERVERLESS_RULES], include_checks=["I"], regions=["us-east-1"])
    return [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in lint(text, config=config)]


def _suppressions(node: object, path: str = "") -> dict[str, list[str]]:
    """Every `cfn-lint: config: ignore_checks` in the template, keyed by where it sits."""
    found: dict[str, list[str]] = {}
    if isinstance(node, dict):
        checks = node.get("cfn-lint", {}).get("config", {}).get("ignore_checks")
        if checks:
            found[path or "<template>"] = list(checks)
        for key, value in node.items():
            found.update(_suppressions(value, f"{path}/{key}"))
    return found


def test_cfn_lint_with_serverless_rules_is_clean() -> None:
    # Given the template as committed
    # When cfn-lint runs every rule, informational ones and the serverless rules included
    findings = _lint(TEMPLATE.read_text(encoding="utf-8"))
    # Then nothing is reported
    assert findings == []


def test_every_suppressed_rule_is_explained_and_still_needed() -> None:
    # Given each rule the template suppresses, in a resource's Metadata
    text = TEMPLATE.read_text(encoding="utf-8")
    suppressed = _suppressions(load_sam())
    assert suppressed, "expected the documented suppressions"
    template = load_sam()
    for where, checks in suppressed.items():
        assert where.startswith("/Resources/"), f"suppress per resource, not template-wide: {where}"
        for rule in checks:
            # Then a comment explains it next to the suppression
            assert re.search(rf"#\s*{rule}\b", text), f"{rule} suppressed at {where} without a reason"
        del template["Resources"][where.split("/")[2]]["Metadata"]["cfn-lint"]
    # And without the suppressions each rule fires on its resource (none is dead configuration)
    findings = _lint(json.dumps(template))
    for where, checks in suppressed.items():
        resource = where.split("/")[2]
        for rule in checks:
            assert any(f.startswith(f"{rule} ") and resource in f for f in findings), (
                rule,
                resource,
                findings,
            )


def test_lint_catches_a_broken_template() -> None:
    # Given a deprecated runtime (a cfn-lint rule) and an unthrottled API stage (a serverless rule)
    text = TEMPLATE.read_text(encoding="utf-8").replace("Runtime: python3.13", "Runtime: python3.8", 1)
    broken = re.sub(r"      DefaultRouteSettings:\n(        .*\n)+", "", text, count=1)
    assert broken != text
    # When it is linted
    ids = {f.split()[0] for f in _lint(broken)}
    # Then both are reported
    assert {"W2531", "ES2003"} <= ids, ids


@pytest.mark.skipif(
    not SAM.exists(), reason="aws-sam-cli not installed: run `make validate` (creates .tools-venv)"
)
def test_sam_validate_lint() -> None:
    # Given the SAM CLI from .tools-venv, offline (no region, no credentials)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"SAM_CLI_TELEMETRY": "0", "HOME": os.environ.get("HOME", str(Path.home()))}
    # When `sam validate --lint` runs on the template
    done = subprocess.run(
        [str(SAM), "validate", "--lint", "--template-file", str(TEMPLATE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then it accepts it
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is a valid SAM Template" in done.stdout + done.stderr


def test_samconfig_defaults() -> None:
    # Given samconfig.toml as `sam` reads it (version 0.1, [<env>.<command>.parameters])
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    default = config["default"]
    # Then the stack name, build, validate and deploy defaults are the documented ones
    assert config["version"] == 0.1
    assert default["global"]["parameters"] == {"stack_name": "jira-port"}
    assert default["build"]["parameters"] == {"cached": True, "parallel": True}
    assert default["validate"]["parameters"] == {"lint": True}
    deploy = default["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["confirm_changeset"] is True
    assert deploy["resolve_s3"] is True
    # And no region is pinned: `sam deploy --guided` asks for it
    assert "region" not in json.dumps(config)

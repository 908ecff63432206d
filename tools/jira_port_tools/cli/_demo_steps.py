"""The steps of ``jira-port demo``, in order, sharing the local sites they start.

Each site is entered on the caller's ``ExitStack``, so whatever happens (a failed step, Ctrl-C) they stop
in reverse order: ``jira-port serve``, the environment, the local Port, the local Jira, the temporary
state directory, the log settings.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from jira_port_tools.cli._demo_output import DemoFailed, Steps, count, seconds, table

if TYPE_CHECKING:
    from jira_port.backfill.report import BackfillSummary
    from jira_port_emulators.jira import JiraEmulator
    from jira_port_emulators.port import PortEmulator
    from jira_port_tools.cli._demo_live import LiveResult
    from jira_port_tools.cli._demo_sites import Credentials
    from jira_port_tools.cli._demo_verify import BlueprintCheck
    from jira_port_tools.serve.local_server import LocalServer

SYNC_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class DemoOptions:
    """The command-line options of ``jira-port demo``."""

    projects: int = 8
    issues: int = 400
    flavour: Literal["cloud", "server"] = "cloud"
    seed: int = 1
    keep_running: bool = False
    verbose: bool = False


@dataclass
class DemoReport:
    """What a successful demo showed (the CLI prints it as it goes; tests read it)."""

    backfill: BackfillSummary | None = None
    live: LiveResult | None = None
    checks: list[BlueprintCheck] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    summary: str = ""


class Demo:
    """The six steps; ``run()`` runs them and returns the report (``DemoFailed`` names a failure)."""

    def __init__(self, options: DemoOptions, steps: Steps, stack: ExitStack) -> None:
        from jira_port_tools.cli._demo_sites import Credentials, quiet_logs

        self.options = options
        self.steps = steps
        self.stack = stack
        self.report = DemoReport()
        self.credentials: Credentials = Credentials.generate(options.flavour)
        self.state_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="jira-port-demo-")))
        stack.enter_context(quiet_logs(options.verbose))

    def run(self) -> DemoReport:
        o = self.options
        say = self.steps.say
        say(
            f"jira-port demo: {o.flavour} flavour, {o.projects} projects, {o.issues} issues, seed {o.seed}",
            "",
        )
        jira = self._start_jira()
        port = self._start_port()
        # serve first: the backfill then keeps its state (cursors, ownership ledger) in the same DynamoDB
        # table as the live path, as the deployed stack does, so live deletes find what it wrote.
        server = self._serve()
        self._backfill()
        self._live(jira, port, server)
        self._verify(port)
        backfill, live = self.report.backfill, self.report.live
        assert backfill is not None and live is not None
        total = sum(check.in_jira for check in self.report.checks)
        backfilled = f"{count(backfill.issues, 'issue')} + {count(backfill.projects, 'project')}"
        self.report.summary = (
            f"demo OK: backfilled {backfilled} in "
            f"{seconds(self.steps.durations['full backfill'])}; {live.events} live events -> Port in "
            f"{seconds(live.seconds)}; Port matches Jira ({total} entities)"
        )
        say(self.report.summary, "")
        if o.keep_running:
            self._keep_running(server)
        return self.report

    def _start_jira(self) -> JiraEmulator:
        from jira_port_emulators.jira import Account, JiraEmulator, generate_dataset

        o, c = self.options, self.credentials
        with self.steps.step("local Jira", f"local Jira ({o.flavour})"):
            dataset = generate_dataset(o.projects, o.issues, flavour=o.flavour, seed=o.seed)
            account = Account(c.jira_login, secret=c.jira_secret, pat=c.jira_pat)
            jira = JiraEmulator(dataset, users=[account], sender_options={"timeout": 10.0})
            self.stack.enter_context(jira.running())
            keys = [p.key for p in dataset.projects.values()]
            shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
            issues = count(len(dataset.issues), "issue")
            self.steps.done(f"on {jira.url}: {count(len(keys), 'project')} ({shown}), {issues}")
        self.report.urls["jira"] = jira.url
        return jira

    def _start_port(self) -> PortEmulator:
        from jira_port.port import PortClient
        from jira_port.settings.port import PortSettings
        from jira_port_emulators.port import PortEmulator
        from jira_port_tools.blueprints import apply_blueprints, bundled_blueprints
        from jira_port_tools.cli._demo_sites import scoped_environ

        c = self.credentials
        with self.steps.step("local Port", "local Port"):
            port = PortEmulator(c.port_client_id, c.port_client_secret)
            url = self.stack.enter_context(port.running()).url
            self.report.urls["port"] = url
            self.stack.enter_context(scoped_environ(c.environment(self.report.urls["jira"], url)))
            with PortClient(PortSettings.from_env()) as client:
                changes = apply_blueprints(client, bundled_blueprints())
            done = ", ".join(f"{change.identifier} {change.outcome}" for change in changes)
            self.steps.done(f"on {url}: blueprints applied through the API ({done})")
        return port

    def _backfill(self) -> None:
        from jira_port.jira import JiraClient
        from jira_port.port import PortClient
        from jira_port_tools.backfill_local import (
            LocalOptions,
            RecordingContinuation,
            build_local,
            run_to_end,
        )
        from jira_port_tools.cli.backfill import ProgressBar

        with self.steps.step("full backfill", "full backfill (jira-port backfill --mode full)"):
            bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
            continuation = RecordingContinuation()
            options = LocalOptions(progress=bar)  # STATE_TABLE: serve's local DynamoDB
            service = build_local(options, continuation=continuation)
            try:
                summary = run_to_end(service, continuation, "full")
            finally:
                if bar is not None:
                    bar.close()
                if isinstance(service.port, PortClient):
                    service.port.close()
                if isinstance(service.jira, JiraClient):
                    service.jira.close()
            self.report.backfill = summary
            if summary.status != "succeeded":
                raise DemoFailed(f"the backfill ended {summary.status}: {summary.message}")
            t = summary.totals
            self.steps.done(
                f"read {count(summary.projects, 'project')} + {count(summary.issues, 'issue')} in "
                f"{count(summary.pages, 'page')} -> "
                f"{t.upserted} entities upserted, {t.rejected} rejected, {t.deleted} deleted by "
                f"reconciliation; {summary.issues_per_second:,.0f} issues/s"
            )

    def _serve(self) -> LocalServer:
        from jira_port.jira import JiraClient
        from jira_port.settings.mapping import load_configured_mapping
        from jira_port_tools.jira_webhooks import register_webhook
        from jira_port_tools.serve.local_server import LocalServer
        from jira_port_tools.webhook_events import derive_events

        with self.steps.step("jira-port serve", "jira-port serve (the live path)"):
            server = LocalServer(port=0)
            self.stack.enter_context(server.running())
            self.report.urls["serve"] = server.webhook_url
            self.steps.say(
                f"on {server.webhook_url}: the webhook and sync Lambda handlers; SQS FIFO + DLQ, S3 and "
                "DynamoDB on a local moto"
            )
            with JiraClient.from_env() as client:  # the events the mapping needs, as register-webhook does
                events = derive_events(load_configured_mapping(), client.deployment).events
                hook = register_webhook(
                    client, server.webhook_url, secret=self.credentials.webhook_secret,
                    name="jira-port demo", events=events,
                )  # fmt: skip
            signing = "signed with a fresh secret" if hook.signed else "NOT signed"
            self.steps.done(f"Jira webhook {hook.id} registered through {hook.api} ({signing})")
        return server

    def _live(self, jira: JiraEmulator, port: PortEmulator, server: LocalServer) -> None:
        from jira_port.port import PortClient
        from jira_port.settings.port import PortSettings
        from jira_port_tools.cli._demo_live import (
            check_deliveries,
            deletable_issue,
            read_touched,
            send_live_events,
            touched_table,
        )

        with self.steps.step("live events", "live events: Jira -> webhook -> SQS FIFO -> sync -> Port"):
            victim = deletable_issue(port.entities("jiraIssue"))
            live = send_live_events(jira, server, victim, SYNC_TIMEOUT_SECONDS)
            self.report.live = live
            self.steps.done(check_deliveries(live, server))
            with PortClient(PortSettings.from_env()) as client:
                read_touched(live, client)
            self.steps.say(touched_table(live, indent=""))

    def _verify(self, port: PortEmulator) -> None:
        from jira_port.jira import JiraClient
        from jira_port.jira.kinds import kind_event, mapped_kinds
        from jira_port.jira.kinds_read import read_kinds
        from jira_port.settings.mapping import load_configured_mapping
        from jira_port_tools.cli._demo_verify import compare, expected_state

        with self.steps.step("Port vs Jira", "Port vs Jira (Jira read afresh and mapped)"):
            mapping = load_configured_mapping()
            with JiraClient.from_env() as client:
                projects = list(client.iter_projects())
                issues = [issue for page in client.iter_issue_pages() for issue in page.issues]
                keys = [str(p["key"]) for p in projects]
                read = read_kinds(client, mapped_kinds(mapping.relevant), keys, max_workers=4)
                kinds = [kind_event(page.kind, item, 0) for page in read.pages() for item in page.items]
            url, blueprints = self.report.urls["jira"], port.blueprints()
            expected = expected_state(
                mapping, projects, issues, kinds, jira_base_url=url, blueprints=blueprints
            )
            held = {blueprint: port.entities(blueprint) for blueprint in expected}
            checks = self.report.checks = compare(expected, held)
            rows = [[c.blueprint, str(c.in_jira), str(c.in_port), c.describe()] for c in checks]
            self.steps.say(table(["blueprint", "Jira", "Port", "differences"], rows, indent=""))
            if not all(check.ok for check in checks):
                raise DemoFailed("Port differs from Jira (see the table above)")

    def _keep_running(self, server: LocalServer) -> None:
        c, urls = self.credentials, self.report.urls
        env = c.environment(urls["jira"], urls["port"])
        groups = [
            [k for k in env if k.startswith("JIRA_")],
            [k for k in env if k.startswith("PORT_")],
            ["WEBHOOK_SECRET"],
        ]
        lines = ["export " + " ".join(f"{k}={shlex.quote(env[k])}" for k in group) for group in groups]
        self.steps.say(
            "\nEverything stays up until Ctrl-C. To use the CLI against it, in another shell:\n"
            + "\n".join(lines)
            + f"\njira-port doctor\njira-port backfill --mode incremental --state {self.state_dir}/state.json"
            + f"\nJira webhooks -> {urls['serve']}   queue status: {server.url}/_local/status",
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.steps.say("stopping: local Jira, Port and serve shut down", "")

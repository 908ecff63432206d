"""``JiraEmulator``: the state, lifecycle and webhook dispatch of one emulated Jira site.

```python
ds = generate_dataset(projects=5, issues=200, flavour="cloud", seed=1)
emu = JiraEmulator(ds, users={"dev@example.com": "token"}, faults=JiraFaults(throttle_rate=0.05))
with emu.running() as jira:             # 127.0.0.1:<free port>, background thread
    client_url = jira.url
    event = emu.update_issue("PLAT-1", summary="x")   # the webhook body (also delivered, see below)
```

Events go to ``webhooks`` (a ``WebhookSender``, every event) and to each webhook registered through the
REST API whose events and JQL filter match (signed with its own secret).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any

from jira_port_emulators.jira.accounts import Account, as_accounts
from jira_port_emulators.jira.catalog import Flavour
from jira_port_emulators.jira.dataset import generate_dataset
from jira_port_emulators.jira.faults import JiraFaults
from jira_port_emulators.jira.jql_eval import CompiledQuery, compile_jql
from jira_port_emulators.jira.jql_fields import Context
from jira_port_emulators.jira.jql_parse import JQLError
from jira_port_emulators.jira.kinds_mutations import KindMutations
from jira_port_emulators.jira.model import Dataset, Issue
from jira_port_emulators.jira.mutations import Mutations
from jira_port_emulators.jira.registry import Registration, Registry
from jira_port_emulators.jira.render import IssueRenderer
from jira_port_emulators.jira.search import PageTokens
from jira_port_emulators.jira.sender import WebhookSender
from jira_port_emulators.jira.shapes import Shapes


class JiraEmulator(Mutations, KindMutations):
    """A Jira Cloud or Server/Data Center site over HTTP on 127.0.0.1 (see the module docstring).

    - ``users``: ``{login: api token or password}`` (all admins) or ``Account`` objects (PATs, non-admins,
      per-project browse rights). Default: ``admin@example.com``/``api-token`` (Cloud),
      ``admin``/``admin`` and PAT ``local-pat`` (Server).
    - ``faults``: latency and injected 429s, changeable while running (also ``PUT /_emulator/faults``).
    - ``webhooks``: a ``WebhookSender`` that receives every event; ``sender_options`` configure the
      senders of webhooks registered over REST (e.g. ``{"retry_delays": (0,), "background": True}``).
    - Server/DC: ``server_max_results`` caps ``maxResults``, ``result_window`` is the OpenSearch window,
      ``legacy_webhook_api=False`` models DC 10 without ``/rest/webhooks/1.0``.
    - Cloud: ``cloud_page_budget`` (fewer issues per page the more fields), ``token_ttl_seconds``.
    - ``omit_event_type_name`` models old Server payloads; ``clock`` drives timestamps and token expiry.
    - ``jira_software=False``: a site without Jira Software, whose ``/rest/agile`` paths all answer 404.
    - Users, boards, sprints, versions and components change through ``create_kind``/``update_kind``/
      ``delete_kind`` (or ``/_emulator/kinds/...``), with their webhook events.
    """

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        flavour: Flavour | None = None,
        users: Mapping[str, str] | Iterable[Account] | None = None,
        faults: JiraFaults | None = None,
        webhooks: WebhookSender | None = None,
        sender_options: Mapping[str, Any] | None = None,
        server_version: str = "10.3.4",
        deployment_type: str | None = None,
        legacy_webhook_api: bool = True,
        server_max_results: int = 1000,
        result_window: int = 10_000,
        cloud_page_budget: int = 5000,
        token_ttl_seconds: float = 7 * 86_400,
        omit_event_type_name: bool = False,
        jira_software: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ds = dataset if dataset is not None else generate_dataset(flavour=flavour or "cloud")
        if flavour is not None and flavour != self.ds.flavour:
            raise ValueError(f"dataset flavour {self.ds.flavour!r} differs from flavour {flavour!r}")
        self.flavour: Flavour = self.ds.flavour
        self.accounts = as_accounts(users, self.flavour)
        self.faults = faults or JiraFaults()
        self.webhooks = webhooks
        self.sender_options = dict(sender_options or {})
        self.server_version = server_version
        self.deployment_type = deployment_type or ("Cloud" if self.flavour == "cloud" else "DataCenter")
        self.legacy_webhook_api = legacy_webhook_api
        self.server_max_results = server_max_results
        self.result_window = result_window
        self.cloud_page_budget = cloud_page_budget
        self.omit_event_type_name = omit_event_type_name
        self.jira_software = jira_software
        self.registry = Registry()
        self.tokens = PageTokens(secrets.token_bytes(32), int(token_ttl_seconds * 1000))
        self.lock = threading.RLock()
        self._request_total = 0
        self.requests_by_route: Counter[str] = Counter()  # route pattern -> API calls served
        self._count_lock = threading.Lock()
        self._clock = clock
        self._base_url = "http://127.0.0.1"
        self._renderers: dict[int, IssueRenderer] = {}
        self._senders: dict[int, tuple[int, WebhookSender]] = {}
        self._changelog_id = 10000
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL (``http://127.0.0.1:<port>`` once started)."""
        return self._base_url

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a background thread; returns the base URL."""
        from jira_port_emulators.jira.server import make_server

        if self._server is not None:
            raise RuntimeError("emulator already running")
        self._server = make_server(self, host, port)
        bound_port = self._server.server_address[1]
        with self.lock:
            self._base_url = f"http://{host}:{bound_port}"
            self._renderers.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="jira-emulator", daemon=True
        )
        self._thread.start()
        return self._base_url

    def stop(self) -> None:
        """Stop serving and close the webhook senders this emulator created."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        for _, sender in self._senders.values():
            sender.close()
        self._senders.clear()

    @contextmanager
    def running(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[JiraEmulator]:
        """``with emu.running() as jira: jira.url``."""
        self.start(host, port)
        try:
            yield self
        finally:
            self.stop()

    @property
    def requests(self) -> int:
        """API calls served so far (controls under ``/_emulator`` excluded)."""
        return self._request_total

    def count_request(self, route: str = "") -> None:
        with self._count_lock:
            self._request_total += 1
            self.requests_by_route[route] += 1

    # -- helpers shared by routes and mutations -----------------------------------------------

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def renderer(self, api: int = 2) -> IssueRenderer:
        """The (cached) renderer for REST ``api`` 2 or 3 at the current base URL."""
        renderer = self._renderers.get(api)
        if renderer is None:
            renderer = self._renderers[api] = IssueRenderer(Shapes(self.ds, self._base_url, api), api)
        return renderer

    def visible_projects(self, account: Account | None, *, include_trashed: bool = False) -> frozenset[int]:
        """Project ids ``account`` may search (trashed projects are never searchable)."""
        return frozenset(
            p.id
            for p in self.ds.projects.values()
            if (include_trashed or not p.trashed) and (account is None or account.can_browse(p.key))
        )

    def compile(self, jql: str, account: Account | None, *, validating: bool = False) -> CompiledQuery:
        """Compile ``jql`` as ``account`` sees it (raises ``JQLError``); ``validating``: as jql/parse does."""
        ctx = Context(
            self.ds,
            self.visible_projects(account),
            self.now_ms(),
            account.user_index if account else None,
            validating=validating,
        )
        return compile_jql(jql, ctx)

    def next_changelog_id(self) -> int:
        self._changelog_id += 1
        return self._changelog_id

    def snapshot(self, body: dict[str, Any]) -> dict[str, Any]:
        """An independent copy of a rendered body (renderers share cached sub-objects)."""
        copied: dict[str, Any] = json.loads(json.dumps(body))
        return copied

    # -- webhook dispatch ------------------------------------------------------------------------

    def targets(self, event: str, issue: Issue | None) -> list[WebhookSender]:
        """Senders for ``event``: the configured one plus matching registrations (call under the lock)."""
        found = [self.webhooks] if self.webhooks is not None else []
        for reg in self.registry.all():
            if reg.wants(event) and (issue is None or self._filter_matches(reg, issue)):
                found.append(self._sender_for(reg))
        return found

    def _filter_matches(self, reg: Registration, issue: Issue) -> bool:
        if not reg.jql.strip():
            return True
        try:
            return self.compile(reg.jql, None).predicate(issue)
        except JQLError:
            return False

    def _sender_for(self, reg: Registration) -> WebhookSender:
        cached = self._senders.get(reg.id)
        if cached is not None and cached[0] == reg.updated and cached[1].url == reg.url:
            return cached[1]
        if cached is not None:
            cached[1].close()
        options = {"data_center": self.flavour == "server", **self.sender_options}
        sender = WebhookSender(reg.url, reg.secret, **options)
        self._senders[reg.id] = (reg.updated, sender)
        return sender

    def dispatch(self, body: dict[str, Any], senders: list[WebhookSender], flow: str = "Primary") -> None:
        """Hand ``body`` to every sender (outside the lock: delivery may block on the receiver)."""
        for sender in senders:
            sender.emit(body, flow=flow)

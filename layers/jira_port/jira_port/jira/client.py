"""``JiraClient``: one pooled, thread-safe client for Jira Cloud and Jira Server/Data Center."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

from jira_port.jira import jql as jqlmod
from jira_port.jira import planning
from jira_port.jira import projects as projectmod
from jira_port.jira.credentials import CredentialsProvider, JiraCredentials
from jira_port.jira.errors import JiraResponseError
from jira_port.jira.http import JiraHTTP
from jira_port.jira.models import Deployment, IssuePage, SearchAnswer
from jira_port.jira.paging import iter_cloud_pages, iter_server_pages
from jira_port.observability import logger
from jira_port.settings.jira import JiraSettings
from jira_port.transport import RetryPolicy


def detect_deployment(info: Mapping[str, Any], base_url: str) -> Deployment:
    """``cloud`` or ``server`` from ``serverInfo.deploymentType`` (host name as a fallback)."""
    kind = str(info.get("deploymentType") or "").strip().lower()
    if kind == "cloud":
        return "cloud"
    if kind in {"server", "datacenter", "data center"}:
        return "server"
    host = (urlsplit(base_url).hostname or "").lower()
    return "cloud" if host.endswith((".atlassian.net", "api.atlassian.com", ".jira.com")) else "server"


class JiraClient:
    """Pages issues and projects; safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        credentials: JiraCredentials | CredentialsProvider,
        *,
        deployment: Literal["auto", "cloud", "server"] = "auto",
        jql: str | None = None,
        fields: Sequence[str] | str = ("*all",),
        expand: str | None = None,
        page_size: int = 100,
        max_concurrency: int = 4,
        timeout: float = 30.0,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = (
            credentials if isinstance(credentials, CredentialsProvider) else CredentialsProvider(credentials)
        )
        self._deployment: Deployment | None = None if deployment == "auto" else deployment
        self.jql = jql
        self.fields = _field_list(fields)
        self.expand = expand
        self.page_size = page_size
        self.max_concurrency = max_concurrency
        self._http = JiraHTTP(
            self.base_url,
            self._credentials,
            pool_size=max_concurrency,
            timeout=timeout,
            retry_policy=retry_policy,
            sleep=sleep,
        )
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: JiraSettings, **overrides: Any) -> JiraClient:
        """A client configured by ``JiraSettings``; keyword ``overrides`` win."""
        options: dict[str, Any] = {
            "deployment": settings.deployment,
            "jql": settings.jql,
            "fields": settings.field_list,
            "expand": settings.expand,
            "page_size": settings.page_size,
            "max_concurrency": settings.max_concurrency,
            "timeout": settings.timeout_seconds,
        }
        options.update(overrides)
        return cls(settings.base_url, CredentialsProvider.from_settings(settings), **options)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> JiraClient:
        """A client configured by the ``JIRA_*`` environment variables (see ``settings/jira.py``)."""
        return cls.from_settings(JiraSettings.from_env(env), **overrides)

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    def __enter__(self) -> JiraClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- deployment and identity -------------------------------------------------------------

    @property
    def deployment(self) -> Deployment:
        """``cloud`` or ``server`` (configured, or detected once via ``/rest/api/2/serverInfo``)."""
        if self._deployment is None:
            with self._lock:
                if self._deployment is None:
                    self._deployment = detect_deployment(self.server_info(), self.base_url)
                    logger.info("Jira deployment detected", extra={"deployment": self._deployment})
        return self._deployment

    @property
    def deployment_known(self) -> bool:
        """Whether ``deployment`` is configured or already detected (asking costs no request)."""
        return self._deployment is not None

    def server_info(self) -> dict[str, Any]:
        """``GET /rest/api/2/serverInfo``."""
        return _as_dict(self.request("GET", "/rest/api/2/serverInfo"), "serverInfo")

    def myself(self) -> dict[str, Any]:
        """The authenticated user (``GET /rest/api/2/myself``)."""
        return _as_dict(self.request("GET", "/rest/api/2/myself"), "myself")

    # -- issues and projects -----------------------------------------------------------------

    def iter_issue_pages(
        self,
        jql: str | None = None,
        *,
        fields: Sequence[str] | str | None = None,
        expand: str | None = None,
        page_size: int | None = None,
        cursor: Mapping[str, Any] | None = None,
    ) -> Iterator[IssuePage]:
        """Pages of issues matching ``jql`` (default ``JIRA_JQL``, else every project).

        Paging is per project in key order (see ``paging``): a partition's JQL (``project = <id> AND
        ...``) is paged directly, any other scope one visible project after another. The user's ORDER BY
        is dropped; ``cursor`` (``IssuePage.cursor``) resumes after a page.
        """
        where = jqlmod.restriction(jql if jql is not None else self.jql)
        options: dict[str, Any] = {
            "fields": _field_list(fields) if fields is not None else self.fields,
            "expand": expand if expand is not None else self.expand,
            "page_size": page_size or self.page_size,
        }
        if jqlmod.single_project(where) is not None:
            yield from self.project_pages(where, options, cursor)
        else:
            yield from projectmod.iter_scope_pages(self, where, options, cursor)

    def project_pages(
        self, where: str, options: dict[str, Any], cursor: Mapping[str, Any] | None
    ) -> Iterator[IssuePage]:
        """Pages of one project's restriction ``where`` (see ``paging``)."""
        if self.deployment == "cloud":
            yield from iter_cloud_pages(self._search_cloud, where, cursor=cursor, **options)
        else:
            yield from iter_server_pages(self._search_server, where, cursor=cursor, **options)

    def iter_projects(self) -> Iterator[dict[str, Any]]:
        """Every project the user can see (REST v2 shape; Cloud pages ``/project/search``)."""
        return projectmod.iter_projects(self)

    # -- planning (``planning``) ---------------------------------------------------------------

    def issue_count(self, jql: str) -> int:
        """How many issues ``jql`` matches (DC: exact ``total``; Cloud: ``approximate-count``)."""
        return planning.issue_count(self, jqlmod.restriction(jql))

    def changed_projects(self, jql: str) -> set[str] | None:
        """Project ids holding ``jql``'s issues when one probe page holds them all, else None."""
        return planning.changed_projects(self, jqlmod.restriction(jql))

    def created_windows(self, jql: str, parts: int) -> list[str]:
        """``created`` clauses cutting ``jql`` (one project) into ``parts`` disjoint windows."""
        return planning.created_windows(self, jqlmod.restriction(jql), parts)

    # -- HTTP ----------------------------------------------------------------------------------

    def _search_cloud(self, body: dict[str, Any]) -> SearchAnswer:
        return self._search("/rest/api/2/search/jql", body)

    def _search_server(self, body: dict[str, Any]) -> SearchAnswer:
        return self._search("/rest/api/2/search", body)

    def _search(self, path: str, body: dict[str, Any]) -> SearchAnswer:
        data, raw = self._http.request_raw("POST", path, json=body)
        return SearchAnswer(_as_dict(data, "search"), raw)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry_statuses: frozenset[int] | None = None,
    ) -> Any:
        """One API call with retries (see ``JiraHTTP.request``); returns the decoded JSON."""
        return self._http.request(method, path, params=params, json=json, retry_statuses=retry_statuses)


def _field_list(fields: Sequence[str] | str) -> list[str]:
    items = fields.split(",") if isinstance(fields, str) else list(fields)
    cleaned = [f.strip() for f in items if f and f.strip()]
    return cleaned or ["*all"]


def _as_dict(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise JiraResponseError(f"Jira {what} response is not a JSON object")
    return data

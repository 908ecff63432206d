"""JSON shapes of Jira's small objects (users, projects, statuses, types, ...) in Cloud or Server form.

``Shapes`` caches them per (base URL, flavour): issue rendering reuses the same dicts, which are only
ever serialised, never handed to callers (``JiraEmulator`` copies what it returns).
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from jira_port_emulators.jira import catalog
from jira_port_emulators.jira.catalog import Flavour
from jira_port_emulators.jira.model import Dataset, Project, User, mix

AVATAR_SIZES = ("48x48", "24x24", "16x16", "32x32")
_SIZE_SUFFIX = {"48x48": "", "24x24": "size=small&", "16x16": "size=xsmall&", "32x32": "size=medium&"}


@functools.cache
def _zone(offset_minutes: int) -> tuple[timezone, str]:
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return timezone(timedelta(minutes=offset_minutes)), f"{sign}{hours:02d}{minutes:02d}"


def format_ts(ms: int, offset_minutes: int) -> str:
    """Jira's timestamp format: ``2019-02-15T19:01:52.971-0800``."""
    tz, suffix = _zone(offset_minutes)
    d = datetime.fromtimestamp(ms // 1000, tz)
    return (
        f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}"
        f".{ms % 1000:03d}{suffix}"
    )


def format_date(ms: int, offset_minutes: int) -> str:
    """``yyyy-MM-dd`` in the site's time zone (date custom fields, ``duedate``)."""
    d = datetime.fromtimestamp(ms // 1000, _zone(offset_minutes)[0])
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def iso_utc(ms: int) -> str:
    """``2026-01-01T10:00:00.000Z`` (sprint dates, server time)."""
    return f"{datetime.fromtimestamp(ms // 1000, UTC):%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def entity_uuid(*values: int) -> str:
    """A stable UUID for ``entityId``/``uuid`` fields."""
    return str(uuid.UUID(int=(mix(*values) << 64) | mix(*values, 7), version=4))


class Shapes:
    """Cached renderings of the site's small objects for one base URL and flavour."""

    def __init__(self, ds: Dataset, base_url: str, api: int = 2) -> None:
        self.ds = ds
        self.flavour: Flavour = ds.flavour
        self.base = base_url.rstrip("/")
        self.rest = f"{self.base}/rest/api/{api}"
        self._users: dict[tuple[int, bool], dict[str, Any]] = {}
        self._static: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def cloud(self) -> bool:
        return self.flavour == "cloud"

    def ts(self, ms: int) -> str:
        return format_ts(ms, self.ds.utc_offset_minutes)

    def user(self, index: int, *, actor: bool = False) -> dict[str, Any] | None:
        """A user as in issue fields; ``actor=True`` is the webhook ``user`` (no ``emailAddress``)."""
        if index < 0:
            return None
        cached = self._users.get((index, actor))
        if cached is None:
            cached = self._users[(index, actor)] = render_user(self.ds.users[index], self, actor=actor)
        return cached

    def _cached(self, kind: str, ident: str, build: Any) -> dict[str, Any]:
        key = (kind, ident)
        value = self._static.get(key)
        if value is None:
            value = self._static[key] = build()
        return value

    def status(self, status_id: str) -> dict[str, Any]:
        status = catalog.STATUS_BY_ID[status_id]
        return self._cached(
            "status",
            status_id,
            lambda: {
                "self": f"{self.rest}/status/{status.id}",
                "description": status.description,
                "iconUrl": f"{self.base}/",
                "name": status.name,
                "id": status.id,
                "statusCategory": self.status_category(status.category),
            },
        )

    def status_category(self, category: catalog.StatusCategory) -> dict[str, Any]:
        return self._cached(
            "category",
            str(category.id),
            lambda: {
                "self": f"{self.rest}/statuscategory/{category.id}",
                "id": category.id,
                "key": category.key,
                "colorName": category.cloud_color if self.cloud else category.server_color,
                "name": category.name,
            },
        )

    def issuetype(self, type_id: str) -> dict[str, Any]:
        kind = catalog.TYPE_BY_ID[type_id]

        def build() -> dict[str, Any]:
            if self.cloud:
                icon = f"{self.rest}/universal_avatar/view/type/issuetype/avatar/{kind.avatar_id}?size=medium"
            else:
                query = f"size=xsmall&avatarId={kind.avatar_id}&avatarType=issuetype"
                icon = f"{self.base}/secure/viewavatar?{query}"
            shape: dict[str, Any] = {
                "self": f"{self.rest}/issuetype/{kind.id}",
                "id": kind.id,
                "description": kind.description,
                "iconUrl": icon,
                "name": kind.name,
                "subtask": kind.subtask,
                "avatarId": kind.avatar_id,
            }
            if self.cloud:
                shape["entityId"] = entity_uuid(self.ds.seed, int(kind.id))
                shape["hierarchyLevel"] = kind.hierarchy_level
            return shape

        return self._cached("issuetype", type_id, build)

    def priority(self, priority_id: str) -> dict[str, Any]:
        prio = catalog.PRIORITY_BY_ID[priority_id]
        return self._cached(
            "priority",
            priority_id,
            lambda: {
                "self": f"{self.rest}/priority/{prio.id}",
                "iconUrl": f"{self.base}/images/icons/priorities/{prio.icon}.svg",
                "name": prio.name,
                "id": prio.id,
            },
        )

    def resolution(self) -> dict[str, Any]:
        return self._cached(
            "resolution",
            "10000",
            lambda: {
                "self": f"{self.rest}/resolution/10000",
                "id": "10000",
                "description": "Work has been completed on this issue.",
                "name": "Done",
            },
        )

    def project_avatars(self, project: Project) -> dict[str, str]:
        avatar = 10400 + project.id % 20
        if self.cloud:
            url = f"{self.rest}/universal_avatar/view/type/project/avatar/{avatar}"
            return {
                s: url + ("?" + _SIZE_SUFFIX[s].rstrip("&") if _SIZE_SUFFIX[s] else "") for s in AVATAR_SIZES
            }
        url = f"{self.base}/secure/projectavatar?"
        return {s: f"{url}{_SIZE_SUFFIX[s]}avatarId={avatar}" for s in AVATAR_SIZES}

    def project_ref(self, project_id: int) -> dict[str, Any]:
        """The project as embedded in issue fields."""
        project = self.ds.projects[project_id]

        def build() -> dict[str, Any]:
            shape: dict[str, Any] = {
                "self": f"{self.rest}/project/{project.id}",
                "id": str(project.id),
                "key": project.key,
                "name": project.name,
                "projectTypeKey": project.type_key,
            }
            if self.cloud:
                shape["simplified"] = False
            shape["avatarUrls"] = self.project_avatars(project)
            return shape

        return self._cached("project", f"{project.id}:{project.key}:{project.name}", build)


def render_user(user: User, shapes: Shapes, *, actor: bool = False) -> dict[str, Any]:
    """A user in Cloud shape (``accountId``, ``accountType``) or Server shape (``name``, ``key``)."""
    if shapes.cloud:
        base = "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net"
        avatar = entity_uuid(shapes.ds.seed, user.index, 48)
        shape: dict[str, Any] = {"self": f"{shapes.rest}/user?accountId={user.account_id}"}
        shape["accountId"] = user.account_id
        if not actor:
            shape["emailAddress"] = user.email
        shape["avatarUrls"] = {
            s: f"{base}/{user.account_id}/{avatar}/{s.split('x')[0]}" for s in AVATAR_SIZES
        }
        shape.update(
            displayName=user.display_name,
            active=user.active,
            timeZone=user.time_zone,
            accountType=user.account_type,
        )
        return shape
    digest = f"{mix(shapes.ds.seed, user.index):016x}{mix(user.index, 99):016x}"
    # Server webhook actors keep emailAddress (observed in captures); Cloud drops it.
    shape = {"self": f"{shapes.rest}/user?username={user.name}", "name": user.name, "key": user.key}
    shape["emailAddress"] = user.email
    shape["avatarUrls"] = {
        s: f"https://www.gravatar.com/avatar/{digest}?d=mm&s={s.split('x')[0]}" for s in AVATAR_SIZES
    }
    shape.update(displayName=user.display_name, active=user.active, timeZone=user.time_zone)
    return shape

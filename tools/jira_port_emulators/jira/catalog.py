"""Static Jira configuration of the emulated site: statuses, issue types, priorities, word lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Flavour = Literal["cloud", "server"]


@dataclass(frozen=True, slots=True)
class StatusCategory:
    id: int
    key: str
    name: str
    cloud_color: str
    server_color: str


@dataclass(frozen=True, slots=True)
class Status:
    id: str
    name: str
    category: StatusCategory
    description: str = ""


@dataclass(frozen=True, slots=True)
class IssueType:
    id: str
    name: str
    description: str
    avatar_id: int
    hierarchy_level: int  # Cloud: -1 sub-task, 0 standard, 1 epic

    @property
    def subtask(self) -> bool:
        return self.hierarchy_level < 0


@dataclass(frozen=True, slots=True)
class Priority:
    id: str
    name: str
    icon: str


TODO = StatusCategory(2, "new", "To Do", "blue-gray", "default")
IN_PROGRESS = StatusCategory(4, "indeterminate", "In Progress", "yellow", "inprogress")
DONE = StatusCategory(3, "done", "Done", "green", "success")
STATUS_CATEGORIES = (TODO, IN_PROGRESS, DONE)

STATUSES = (
    Status("10000", "To Do", TODO),
    Status("3", "In Progress", IN_PROGRESS),
    Status("10001", "In Review", IN_PROGRESS, "Waiting for a second pair of eyes."),
    Status("10002", "Awaiting Deploy", IN_PROGRESS, "Custom status: merged, not yet released."),
    Status("10003", "Done", DONE),
)
STATUS_WEIGHTS = (30, 20, 8, 4, 38)

EPIC = IssueType("10000", "Epic", "A big user story that needs to be broken down.", 10307, 1)
STORY = IssueType("10001", "Story", "Functionality or a feature expressed as a user goal.", 10315, 0)
TASK = IssueType("10002", "Task", "A small, distinct piece of work.", 10318, 0)
BUG = IssueType("10003", "Bug", "A problem or error.", 10303, 0)
SUBTASK = IssueType("10004", "Sub-task", "A small piece of work that's part of a larger task.", 10316, -1)
SPIKE = IssueType("10005", "Spike", "Custom type: time-boxed research.", 10320, 0)
ISSUE_TYPES = (EPIC, STORY, TASK, BUG, SUBTASK, SPIKE)
STANDARD_TYPES = (STORY, TASK, BUG, SPIKE)
STANDARD_WEIGHTS = (40, 35, 20, 5)

PRIORITIES = (
    Priority("1", "Highest", "highest"),
    Priority("2", "High", "high"),
    Priority("3", "Medium", "medium"),
    Priority("4", "Low", "low"),
    Priority("5", "Lowest", "lowest"),
)
PRIORITY_WEIGHTS = (5, 20, 50, 20, 5)

STATUS_BY_ID = {s.id: s for s in STATUSES}
TYPE_BY_ID = {t.id: t for t in ISSUE_TYPES}
PRIORITY_BY_ID = {p.id: p for p in PRIORITIES}

PROJECT_NAMES = (
    "Platform", "Payments", "Mobile", "Search", "Identity", "Billing", "Analytics", "Checkout",
    "Infrastructure", "Growth", "Support", "Security", "Notifications", "Catalog", "Inventory",
    "Logistics", "Marketing", "Reporting", "Onboarding", "Messaging",
)  # fmt: skip
FIRST_NAMES = (
    "Dana", "Alex", "Sam", "Robin", "Kim", "Noa", "Lee", "Jordan", "Avery", "Riley", "Maya", "Omar",
    "Priya", "Chen", "Lucia", "Tomas", "Ines", "Yuki", "Elif", "Kofi",
)  # fmt: skip
LAST_NAMES = (
    "Cohen", "Garcia", "Smith", "Nguyen", "Okafor", "Schmidt", "Rossi", "Kowalski", "Tanaka", "Silva",
    "Haddad", "Larsen", "Novak", "Dubois", "Murphy", "Petrov",
)  # fmt: skip
TIME_ZONES = ("Europe/Berlin", "America/Los_Angeles", "Asia/Jerusalem", "Etc/UTC", "America/New_York")
VERBS = ("Add", "Fix", "Refactor", "Migrate", "Document", "Investigate", "Remove", "Speed up", "Harden")
NOUNS = (
    "login flow", "invoice export", "search index", "rate limiter", "audit log", "webhook retries",
    "dashboard", "CSV import", "session cache", "feature flags", "release notes", "API gateway",
    "email templates", "billing cron", "access tokens", "error pages",
)  # fmt: skip
LABELS = ("backend", "frontend", "tech-debt", "customer", "security", "performance", "ux", "infra", "q3")
COMPONENT_NAMES = ("API", "UI", "Database", "Workers", "Docs", "SDK")

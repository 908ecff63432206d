"""Settings read from the environment by a small reader: frozen dataclasses, validated once, with secret
values kept out of every message and ``repr``.

A settings class is ``@dataclass(frozen=True, kw_only=True)`` over ``EnvModel`` whose fields are declared
with ``env("VARIABLE", default, ...)``; the field's annotation (``str``, ``int``, ``float``, ``bool``,
``SecretStr``, a ``Literal``, each optionally ``| None``) says how the variable's text is read. Classes
compose as mixins: a function's model inherits the parts it needs. Empty variables count as unset.
Errors name the variable, never its value (pydantic did this job before; importing it cost a third of a
cold start).
"""

from __future__ import annotations

import math
import os
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, Self
from urllib.parse import urlsplit

from jira_port.errors import ConfigError

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


class SecretStr:
    """A string shown as ``**********`` in ``str``, ``repr`` and logs; ``get_secret_value()`` reads it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """The secret itself (pass it on; never log it)."""
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __repr__(self) -> str:
        return f"SecretStr('{self}')"


@dataclass(frozen=True, slots=True)
class Variable:
    """How one field is read: its variable, the bounds it must keep, and an optional check.

    ``before`` rewrites the text before it is read as the field's type (aliases); ``check`` takes the
    typed value and returns it (possibly normalised) or raises ``ValueError`` with the message to show.
    """

    name: str
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    before: Callable[[str], str] | None = None
    check: Callable[[Any], Any] | None = None


def site_url(value: str) -> str:
    """A Jira site URL (``JIRA_BASE_URL`` of the Jira and the live parts) without a trailing slash;
    ``ValueError`` unless it is an http(s) URL."""
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http(s) URL such as https://your-site.atlassian.net")
    return url


def env(name: str, default: Any = MISSING, **rules: Any) -> Any:
    """A settings field read from the variable ``name`` (``rules``: the ``Variable`` bounds and checks)."""
    return field(default=default, metadata={"env": Variable(name, **rules)})


class EnvModel:
    """Base of every settings class (see the module docstring). Construction validates, from the
    environment (``from_env``) or directly; a model-level rule lives in ``check``."""

    @classmethod
    def env_names(cls) -> dict[str, str]:
        """Map field name -> environment variable name."""
        return {f.name: _variable(f).name for f in fields(cls)}  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Self:
        """Build from ``env`` (default ``os.environ``); ``overrides`` (by field name) win. Raises
        ``ConfigError`` naming every bad variable."""
        source = os.environ if env is None else env
        types = _types(cls)
        data: dict[str, object] = {}
        problems: list[str] = []
        for f in fields(cls):  # type: ignore[arg-type]
            var = _variable(f)
            raw = source.get(var.name)
            if raw is None or not raw.strip():
                continue
            try:
                data[f.name] = _read(raw.strip(), types[f.name], var)
            except ValueError as exc:
                problems.append(f"{var.name}: {exc}")
        data.update({k: v for k, v in overrides.items() if v is not None})
        problems += _missing(cls, data)
        if problems:  # also name what else is wrong, as construction would
            problems += _check_fields(cls, data)[1]
            raise ConfigError(_describe(cls, problems))
        return cls(**data)

    def __post_init__(self) -> None:
        values, problems = _check_fields(type(self), {f.name: getattr(self, f.name) for f in fields(self)})  # type: ignore[arg-type]
        if problems:
            raise ConfigError(_describe(type(self), problems))
        for name, value in values.items():
            object.__setattr__(self, name, value)
        try:
            self.check()
        except ValueError as exc:  # a model-level message names the variables itself
            raise ConfigError(_describe(type(self), [str(exc)])) from None

    def check(self) -> None:
        """Rules across fields (override; call ``super().check()`` in a mixin): raise ``ValueError``
        with a message naming the variables."""


def _variable(f: Field[Any]) -> Variable:
    var: Variable = f.metadata["env"]
    return var


_type_cache: dict[type, dict[str, Any]] = {}


def _types(cls: type) -> dict[str, Any]:
    if cls not in _type_cache:
        _type_cache[cls] = typing.get_type_hints(cls)
    return _type_cache[cls]


def _read(text: str, kind: Any, var: Variable) -> object:
    """``text`` as a value of the annotation ``kind``; ``ValueError`` says what was expected."""
    if var.before is not None:
        text = var.before(text)
    options = [a for a in typing.get_args(kind) if a is not type(None)]
    if typing.get_origin(kind) is typing.Literal:
        if text not in options:
            raise ValueError("must be one of " + ", ".join(map(str, options)))
        return text
    parse: Callable[[str], object] = _PARSERS.get(options[0] if options else kind, str)
    return parse(text)


def _bool(text: str) -> bool:
    if text.lower() not in _TRUE | _FALSE:
        raise ValueError("must be true or false")
    return text.lower() in _TRUE


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("must be a whole number") from None


def _float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ValueError("must be a number") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


_PARSERS: dict[Any, Callable[[str], object]] = {bool: _bool, int: _int, float: _float, SecretStr: SecretStr}


def _missing(cls: type, data: Mapping[str, object]) -> list[str]:
    return [
        f"{_variable(f).name}: is not set"
        for f in fields(cls)
        if f.default is MISSING and f.default_factory is MISSING and f.name not in data
    ]


def _check_fields(cls: type, values: Mapping[str, object]) -> tuple[dict[str, object], list[str]]:
    """The values after each field's bounds and check, and one problem per variable that fails them."""
    checked: dict[str, object] = {}
    problems: list[str] = []
    types = _types(cls)
    for f in fields(cls):
        value = values.get(f.name)
        if value is None:
            continue
        var = _variable(f)
        try:
            if isinstance(value, str) and types[f.name] not in (str, str | None):  # given as text in code
                value = _read(value, types[f.name], var)
            checked[f.name] = _within(value, var)
        except ValueError as exc:
            problems.append(f"{var.name}: {exc}")
    return checked, problems


def _within(value: Any, var: Variable) -> Any:
    if var.ge is not None and value < var.ge:
        raise ValueError(f"must be at least {var.ge:g}")
    if var.gt is not None and value <= var.gt:
        raise ValueError(f"must be greater than {var.gt:g}")
    if var.le is not None and value > var.le:
        raise ValueError(f"must be at most {var.le:g}")
    if var.min_length is not None and len(value) < var.min_length:
        raise ValueError(f"must have at least {var.min_length} characters")
    if var.max_length is not None and len(value) > var.max_length:
        raise ValueError(f"must have at most {var.max_length} characters")
    return var.check(value) if var.check is not None else value


def _describe(cls: type, problems: list[str]) -> str:
    return f"invalid {cls.__name__} configuration: " + "; ".join(problems)

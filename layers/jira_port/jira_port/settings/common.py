"""Settings models read from the environment, validated once, with secret values kept out of messages."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, ValidationError

from jira_port.errors import ConfigError


class EnvModel(BaseModel):
    """A settings model whose fields come from environment variables.

    A field's variable is its ``alias`` (e.g. ``Field(alias="PORT_API_URL")``), else its upper-cased
    name. Empty variables count as unset. Validation errors name the variable, never its value.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    @classmethod
    def env_names(cls) -> dict[str, str]:
        """Map field name -> environment variable name."""
        return {name: (f.alias or name.upper()) for name, f in cls.model_fields.items()}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Self:
        """Build from ``env`` (default ``os.environ``); ``overrides`` (by field name) win."""
        source = os.environ if env is None else env
        data: dict[str, object] = {}
        for name, var in cls.env_names().items():
            value = source.get(var)
            if value is not None and value.strip() != "":
                data[name] = value.strip()
        data.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(describe_validation_error(cls, exc)) from None


def describe_validation_error(model: type[EnvModel], exc: ValidationError) -> str:
    """One line per problem, naming the environment variable; input values are never echoed."""
    names = model.env_names()
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["loc"]:
            field = str(err["loc"][0])
            lines.append(f"{names.get(field, field)}: {msg}")
        else:  # a model-level check: its message names the variables itself
            lines.append(msg)
    return f"invalid {model.__name__} configuration: " + "; ".join(lines)

"""template.yaml expanded offline (aws-sam-translator) and resolved like CloudFormation would for one stack.

``Stack`` evaluates Conditions, ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::If``, ``Fn::Join`` and
``Fn::Select`` against parameter values and *physical ids*. Physical ids are synthetic by default; a test
that runs handlers under moto first creates the resources there (``tests.infra.moto_stack``) and passes the
real ids, so the resolved environment variables and IAM policies name exactly what the code touches.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
STACK_NAME = "jira-port"
REGION = "us-east-1"
ACCOUNT = "123456789012"
PARTITION = "aws"
# Parameters without a default, as a user would pass them to `sam deploy`.
REQUIRED_PARAMETERS = {"JiraBaseUrl": "https://example.atlassian.net"}


class _NoValue:
    """``AWS::NoValue``: the enclosing key or list item disappears."""


NO_VALUE = _NoValue()


@cache
def _raw_text() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


def load_sam() -> dict[str, Any]:
    """The SAM template as written (tags such as ``!Ref`` become ``{"Ref": ...}``)."""
    parsed: dict[str, Any] = yaml_parse(_raw_text())
    return parsed


@cache
def _translated() -> dict[str, Any]:
    sam = load_sam()
    for resource in sam.get("Resources", {}).values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            # The translator only accepts S3 locations; `sam build`/`sam package` do this rewrite too.
            if isinstance(props.get(key), str):
                props[key] = f"s3://jira-port-artifacts/{props[key].strip('/')}"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    result: dict[str, Any] = translator.translate(
        sam, parameter_values={}, get_managed_policy_map=lambda: get_bundled_managed_policy_map(PARTITION)
    )
    return result


def translate() -> dict[str, Any]:
    """The expanded CloudFormation template (a fresh copy; the translation itself is cached)."""
    return copy.deepcopy(_translated())


@dataclass
class Physical:
    """What ``Ref`` and ``Fn::GetAtt`` return for one deployed resource."""

    ref: str
    attrs: dict[str, str] = field(default_factory=dict)


class Stack:
    """One deployment of the expanded template: parameter values, conditions and physical ids."""

    def __init__(
        self,
        parameters: Mapping[str, str] | None = None,
        physical: Mapping[str, Physical] | None = None,
        template: dict[str, Any] | None = None,
    ) -> None:
        self.template = template if template is not None else translate()
        self.parameters = self._parameter_values({**REQUIRED_PARAMETERS, **(parameters or {})})
        self._physical: dict[str, Physical] = dict(physical or {})
        self.conditions = {name: bool(self.resolve(expr)) for name, expr in self._conditions().items()}

    # ------------------------------------------------------------------ template structure
    def _conditions(self) -> dict[str, Any]:
        conditions: dict[str, Any] = self.template.get("Conditions", {})
        return conditions

    def _parameter_values(self, given: Mapping[str, str]) -> dict[str, str]:
        declared: dict[str, Any] = self.template.get("Parameters", {})
        unknown = set(given) - set(declared)
        if unknown:
            raise KeyError(f"unknown template parameters: {sorted(unknown)}")
        values: dict[str, str] = {}
        for name, spec in declared.items():
            if name in given:
                value = str(given[name])
            elif "Default" in spec:
                value = str(spec["Default"])
            else:
                raise KeyError(f"parameter {name} has no default and no value")
            allowed = spec.get("AllowedValues")
            if allowed is not None and value not in [str(a) for a in allowed]:
                raise ValueError(f"{name}={value!r} is not one of {allowed}")
            pattern = spec.get("AllowedPattern")
            if pattern is not None and not re.fullmatch(pattern, value):
                raise ValueError(f"{name}={value!r} does not match {pattern}")
            values[name] = value
        return values

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """The resources this stack creates (those whose Condition holds)."""
        all_resources: dict[str, dict[str, Any]] = self.template["Resources"]
        return {
            name: res
            for name, res in all_resources.items()
            if "Condition" not in res or self.conditions[res["Condition"]]
        }

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resources of one CloudFormation type."""
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    # ------------------------------------------------------------------ physical ids
    def physical(self, logical_id: str) -> Physical:
        """The physical id of a resource (synthetic unless one was given)."""
        if logical_id not in self.resources:
            raise KeyError(f"{logical_id} is not created in this stack (missing or condition false)")
        if logical_id not in self._physical:
            self._physical[logical_id] = self._synthetic(logical_id)
        return self._physical[logical_id]

    def set_physical(self, logical_id: str, physical: Physical) -> None:
        """Record the real id of a resource created elsewhere (e.g. in moto)."""
        self._physical[logical_id] = physical

    def _synthetic(self, logical_id: str) -> Physical:
        resource = self.resources[logical_id]
        props = resource.get("Properties", {})
        generated = f"{STACK_NAME}-{logical_id}-0123ABCD".lower()

        def named(key: str) -> str:
            return str(self.resolve(props[key])) if key in props else generated

        def arn(service: str, rest: str) -> str:
            return f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT}:{rest}"

        def queue() -> Physical:
            name = named("QueueName")
            url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
            return Physical(url, {"Arn": arn("sqs", name), "QueueName": name})

        def secret() -> Physical:
            secret_arn = arn("secretsmanager", f"secret:{logical_id}-AbCdEf")
            return Physical(secret_arn, {"Id": secret_arn})

        def topic() -> Physical:
            return Physical(
                arn("sns", generated), {"TopicArn": arn("sns", generated), "TopicName": generated}
            )

        builders: dict[str, Any] = {
            "AWS::SQS::Queue": queue,
            "AWS::S3::Bucket": lambda: Physical(generated, {"Arn": f"arn:{PARTITION}:s3:::{generated}"}),
            "AWS::DynamoDB::Table": lambda: Physical(
                generated, {"Arn": arn("dynamodb", f"table/{generated}")}
            ),
            "AWS::SecretsManager::Secret": secret,
            "AWS::Lambda::Function": lambda: Physical(
                named("FunctionName"), {"Arn": arn("lambda", f"function:{named('FunctionName')}")}
            ),
            "AWS::IAM::Role": lambda: Physical(
                generated, {"Arn": f"arn:{PARTITION}:iam::{ACCOUNT}:role/{generated}"}
            ),
            "AWS::Logs::LogGroup": lambda: Physical(
                named("LogGroupName"), {"Arn": arn("logs", f"log-group:{named('LogGroupName')}:*")}
            ),
            "AWS::SNS::Topic": topic,
        }
        builder = builders.get(resource["Type"])
        physical: Physical = builder() if builder else Physical(generated, {})
        return physical

    # ------------------------------------------------------------------ intrinsic functions
    def resolve(self, value: Any) -> Any:
        """Evaluate intrinsic functions in ``value`` (recursively)."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = _INTRINSICS.get(key)
            if handler is not None:
                return handler(self, arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def ref(self, name: str) -> Any:
        """``Ref`` of a parameter, pseudo parameter or resource."""
        pseudo = {
            "AWS::StackName": STACK_NAME,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/0",
        }
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.physical(name).ref

    def get_att(self, logical_id: str, attribute: str) -> str:
        """``Fn::GetAtt``."""
        attrs = self.physical(logical_id).attrs
        if attribute not in attrs:
            raise KeyError(f"no attribute {attribute} modelled for {logical_id}")
        return attrs[attribute]

    def sub(self, arg: Any) -> str:
        """``Fn::Sub`` in both forms."""
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = {k: self.resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return str(local[name])
            if "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                return self.get_att(logical, attribute)
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    # ------------------------------------------------------------------ functions and roles
    def function_env(self, logical_id: str) -> dict[str, str]:
        """The resolved environment variables of a Lambda function."""
        props = self.resources[logical_id]["Properties"]
        variables = self.resolve(props.get("Environment", {}).get("Variables", {}))
        return {k: str(v) for k, v in variables.items()}

    def role_of(self, function_id: str) -> str:
        """Logical id of the execution role of a function."""
        role = self.resources[function_id]["Properties"]["Role"]
        if not (isinstance(role, dict) and "Fn::GetAtt" in role):
            raise AssertionError(f"{function_id} does not use a role of this stack")
        name = role["Fn::GetAtt"][0] if isinstance(role["Fn::GetAtt"], list) else role["Fn::GetAtt"]
        return str(name).split(".")[0]

    def policy_statements(self, function_id: str) -> list[dict[str, Any]]:
        """Every inline policy statement of the function's role, intrinsics resolved."""
        role = self.resources[self.role_of(function_id)]["Properties"]
        statements: list[dict[str, Any]] = []
        for policy in self.resolve(role.get("Policies", [])):
            doc_statements = policy["PolicyDocument"]["Statement"]
            statements.extend(doc_statements if isinstance(doc_statements, list) else [doc_statements])
        return statements

    def managed_policies(self, function_id: str) -> list[str]:
        """Managed policy ARNs attached to the function's role."""
        role = self.resources[self.role_of(function_id)]["Properties"]
        return [str(arn) for arn in self.resolve(role.get("ManagedPolicyArns", []))]


def _get_att(stack: Stack, arg: Any) -> str:
    logical, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
    return stack.get_att(logical, attribute)


def _if(stack: Stack, arg: Any) -> Any:
    name, when_true, when_false = arg
    return stack.resolve(when_true if stack.conditions[name] else when_false)


def _join(stack: Stack, arg: Any) -> str:
    separator, items = arg
    return str(separator).join(str(i) for i in stack.resolve(items))


def _select(stack: Stack, arg: Any) -> Any:
    index, items = arg
    return stack.resolve(items)[int(stack.resolve(index))]


def _condition(stack: Stack, arg: Any) -> bool:
    # Used while the conditions themselves are evaluated, so look the expression up directly.
    return bool(stack.resolve(stack._conditions()[arg]))


_INTRINSICS: dict[str, Any] = {
    "Ref": lambda stack, arg: stack.ref(arg),
    "Fn::GetAtt": _get_att,
    "Fn::Sub": lambda stack, arg: stack.sub(arg),
    "Fn::If": _if,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": lambda stack, arg: str(stack.resolve(arg[1])).split(str(arg[0])),
    "Fn::Equals": lambda stack, arg: str(stack.resolve(arg[0])) == str(stack.resolve(arg[1])),
    "Fn::Not": lambda stack, arg: not stack.resolve(arg[0]),
    "Fn::And": lambda stack, arg: all(stack.resolve(a) for a in arg),
    "Fn::Or": lambda stack, arg: any(stack.resolve(a) for a in arg),
    "Condition": _condition,
}

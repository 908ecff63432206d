"""HTTP API v2 and SQS event shapes built for the local server."""

from __future__ import annotations

import base64

from jira_port_tools.serve.lambda_events import LocalLambdaContext, http_api_event, sqs_event


def test_http_api_event_shape() -> None:
    event = http_api_event(
        method="POST",
        path="/webhook/tok",
        query_string="a=1&a=2&token=x&empty=",
        headers=[("Host", "127.0.0.1:8080"), ("X-Multi", "1"), ("x-multi", "2"), ("Cookie", "a=b; c=d")],
        body=b'{"k": "\xc3\xa4"}',
        route_key="POST /webhook/{token}",
        path_parameters={"token": "tok"},
        request_id="req-1",
        now=1_700_000_000.5,
    )
    assert event["version"] == "2.0" and event["routeKey"] == "POST /webhook/{token}"
    assert event["headers"] == {"host": "127.0.0.1:8080", "x-multi": "1,2"}
    assert event["cookies"] == ["a=b", "c=d"]
    assert event["queryStringParameters"] == {"a": "1,2", "token": "x", "empty": ""}
    assert event["pathParameters"] == {"token": "tok"}
    assert event["body"] == '{"k": "ä"}' and event["isBase64Encoded"] is False
    assert event["requestContext"]["requestId"] == "req-1"
    assert event["requestContext"]["timeEpoch"] == 1_700_000_000_500
    assert event["requestContext"]["http"]["method"] == "POST"


def test_non_utf8_bodies_are_base64_and_empty_bodies_absent() -> None:
    raw = b"\xff\x00binary"
    event = http_api_event(
        method="POST", path="/webhook", query_string="", headers=[], body=raw, route_key="r"
    )
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == raw
    empty = http_api_event(
        method="POST", path="/webhook", query_string="", headers=[], body=b"", route_key="r"
    )
    assert "body" not in empty and "queryStringParameters" not in empty


def test_sqs_event_from_receive_output() -> None:
    messages = [
        {
            "MessageId": "m1",
            "ReceiptHandle": "rh1",
            "Body": "{}",
            "MD5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
            "Attributes": {"ApproximateReceiveCount": 2, "MessageGroupId": "issue:1"},
        }
    ]
    event = sqs_event(messages, queue_arn="arn:aws:sqs:eu-west-1:1:q.fifo", region="eu-west-1")
    record = event["Records"][0]
    assert record["messageId"] == "m1" and record["receiptHandle"] == "rh1"
    assert record["attributes"] == {"ApproximateReceiveCount": "2", "MessageGroupId": "issue:1"}
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "eu-west-1"


def test_local_context() -> None:
    context = LocalLambdaContext("fn", timeout_seconds=10)
    assert 0 < context.get_remaining_time_in_millis() <= 10_000
    assert context.invoked_function_arn.endswith(":function:fn")
    assert context.log_group_name == "/aws/lambda/fn"

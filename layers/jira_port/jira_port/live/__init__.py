"""The live path: webhook verification and enqueue, SQS processing with a version guard, ``jira-port serve``.

Modules: ``signature``/``auth`` (who may deliver), ``envelope``/``grouping``/``enqueue``/``payloads`` (what
is queued and how), ``receive`` (the webhook core), ``versions``/``guard`` (order safety), ``process``
(one queued event to Port), ``factory`` (wiring from the environment), ``lambda_events``/``sqs_poller``/
``local_server`` (running both functions locally).
"""

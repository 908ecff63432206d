"""The live path: webhook verification and enqueue, SQS processing with a version guard.

Modules: ``signature``/``auth`` (who may deliver), ``envelope``/``grouping``/``enqueue``/``payloads`` (what
is queued and how), ``receive`` (the webhook core), ``versions``/``guard`` (order safety), ``process``
(one queued event to Port), ``factory`` (wiring from the environment).
"""

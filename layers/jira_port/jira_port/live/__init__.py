"""The live path: webhook verification and enqueue, SQS processing with a version guard.

Modules: ``runtime`` (the composition root of both functions), ``receive`` (the webhook receiver and its
enqueue), ``signature``/``auth`` (who may deliver), ``queue`` (the queue contract, both directions),
``process`` (one queued event to Port), ``versions``/``guard``/``moves`` (order safety).
"""

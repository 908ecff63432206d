"""Local tooling for jira-port: the ``jira-port`` CLI, the demo and ``serve`` (both functions, locally).

None of this ships in the Lambda layer: the functions import ``jira_port`` only.
"""

"""``jira-port serve``: the webhook and sync handlers run locally against moto (SQS, DynamoDB, S3)."""

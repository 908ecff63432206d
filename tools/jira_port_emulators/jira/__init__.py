"""A faithful local Jira (Cloud and Server/Data Center flavours) for tests, benchmarks and the demo.

```python
from jira_port_emulators.jira import JiraEmulator, JiraFaults, WebhookSender, generate_dataset

ds = generate_dataset(projects=5, issues=200, flavour="cloud", seed=1)
emu = JiraEmulator(ds, users={"dev@example.com": "token"}, faults=JiraFaults(throttle_rate=0.05, seed=3))
with emu.running() as jira:
    ...  # point JIRA_BASE_URL at jira.url
```
"""

from jira_port_emulators.jira.accounts import Account
from jira_port_emulators.jira.dataset import Dataset, generate_dataset
from jira_port_emulators.jira.emulator import JiraEmulator
from jira_port_emulators.jira.faults import JiraFaults
from jira_port_emulators.jira.mutations import MutationError
from jira_port_emulators.jira.sender import Delivery, WebhookSender, sign

__all__ = [
    "Account",
    "Dataset",
    "Delivery",
    "JiraEmulator",
    "JiraFaults",
    "MutationError",
    "WebhookSender",
    "generate_dataset",
    "sign",
]

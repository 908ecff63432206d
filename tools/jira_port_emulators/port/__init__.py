"""A faithful local Port API for tests, benchmarks and the demo (dev only, never in the layer).

    from jira_port_emulators.port import PortEmulator, PortFaults

    faults = PortFaults(latency=0.0, error_rate=0.0, throttle_rate=0.0, retry_after=1.0, seed=7)
    emu = PortEmulator("local-id", "local-secret", token_lifetime=10800, faults=faults)
    with emu.running() as port:          # 127.0.0.1, a free port; port.url is the base URL
        emu.add_blueprint(definition)
        ...                              # point PORT_API_URL at port.url
        emu.entities("jiraIssue"); emu.requests; emu.faults = PortFaults(error_rate=0.1)

Rules implemented: token issue/expiry (one active token per credentials), Bearer checks, identifier
and property-key patterns, blueprint CRUD and schema validation of entities, relations (404 or
create-missing), the upsert matrix (409 / replace / merge), bulk 1..20 with 200/207, the 1 MiB body
limit (413), deletes with dependents, bulk delete 1..100 (all-or-nothing), paginated search, error
envelopes, rate-limit headers and ``X-Trace-Id``.
"""

from jira_port_emulators.port.errors import ApiError
from jira_port_emulators.port.faults import PortFaults
from jira_port_emulators.port.server import PortEmulator, RecordedRequest, RunningPort

__all__ = ["ApiError", "PortEmulator", "PortFaults", "RecordedRequest", "RunningPort"]

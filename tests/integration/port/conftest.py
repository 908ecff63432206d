"""Make the shared Port emulator fixtures available to these tests."""

from tests.support.port_emulator import port_client, port_emulator, port_env  # noqa: F401

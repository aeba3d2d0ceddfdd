"""`ragqa serve` refuses a port in use before it says it serves (web.server.check_port)."""

from __future__ import annotations

import socket

import pytest

from qa.errors import RagqaError
from web.server import check_port


def test_a_free_port_passes_and_a_listened_one_is_a_clear_error() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        listener.listen()
        with pytest.raises(RagqaError, match=f"port {port} on 127.0.0.1 is in use"):
            check_port("127.0.0.1", port)
    check_port("127.0.0.1", port)  # closed again: free


def test_a_host_that_does_not_resolve_is_a_clear_error() -> None:
    with pytest.raises(RagqaError, match=r"cannot serve on no-such-host\.invalid"):
        check_port("no-such-host.invalid", 8000)

"""The emulator helper: a free port, a clean stop, and a clear error when it cannot start."""

from __future__ import annotations

import socket

import pytest

from tools.emulator import EmulatorError, LocalAws


def test_starts_on_a_free_loopback_port_and_stops_without_leaking_it(tmp_path):
    with LocalAws(log_path=tmp_path / "moto.log") as aws:
        port = aws.port
        assert aws.endpoint == f"http://localhost:{port}"
        assert aws.client("sts").get_caller_identity()["Account"] == "123456789012"
        process = aws._process
    assert process is not None and process.poll() is not None  # the server process has ended
    with socket.socket() as probe:  # and its port is free again
        probe.bind(("127.0.0.1", port))


def test_a_server_that_cannot_start_is_a_clear_error(tmp_path):
    broken = LocalAws(log_path=tmp_path / "moto.log", server_module="tools.no_such_server_module")
    with pytest.raises(EmulatorError, match=r"moto server exited with 1 before listening; log: .*No module named"):
        broken.start()

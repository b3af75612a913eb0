"""Start and stop the local AWS API emulator (moto's server) and run the real CDK CLI against it.

    with LocalAws() as aws:
        aws.cdk("bootstrap", "aws://123456789012/eu-west-1")
        boto3.client("iam", **aws.client_kwargs()).list_roles()

No fixed port (the OS picks a free one), no sleeps: the server reports its port once it accepts
connections, and a failure to start is an error with the server's own output.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"  # moto's default account
STARTUP_TIMEOUT = 60.0


class EmulatorError(RuntimeError):
    """The emulator did not start, or a CLI call against it failed."""


class LocalAws:
    """A moto server process on 127.0.0.1 and the environment that points AWS clients at it."""

    def __init__(self, *, log_path: Path | None = None, server_module: str = "tools.moto_server") -> None:
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="moto-", suffix=".log")[1])
        self.server_module = server_module
        self.port: int | None = None
        self._process: subprocess.Popen[str] | None = None
        self._log: Any = None

    # -------------------------------------------------------------------------------- lifecycle

    def start(self) -> LocalAws:
        self._log = open(self.log_path, "w")  # noqa: SIM115  (closed in stop)
        self._process = subprocess.Popen(
            [sys.executable, "-m", self.server_module, "--host", "127.0.0.1", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        assert self._process.stdout is not None
        while self.port is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise EmulatorError(f"moto server did not report a port within {STARTUP_TIMEOUT:.0f}s; log: {self._tail()}")
            ready, _, _ = select.select([self._process.stdout], [], [], remaining)
            if not ready:
                continue
            line = self._process.stdout.readline()
            if not line:  # the process ended before it listened
                code = self._process.wait()
                self.stop()
                raise EmulatorError(f"moto server exited with {code} before listening; log: {self._tail()}")
            if line.startswith("LISTENING "):
                self.port = int(line.split()[1])
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------------------------- clients

    @property
    def endpoint(self) -> str:
        # "localhost", not 127.0.0.1: moto reads the bucket name from the template URL the CLI
        # uploads, and takes "127" from an IP address for the bucket.
        return f"http://localhost:{self.port}"

    def env(self, region: str = "us-east-1") -> dict[str, str]:
        """Environment for the AWS CLI, boto3 and the CDK CLI. The keys are moto's, not secrets."""
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "CDK_DISABLE_CLI_TELEMETRY": "true",
        }

    def client_kwargs(self, region: str = "us-east-1") -> dict[str, str]:
        return {
            "endpoint_url": self.endpoint,
            "region_name": region,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }

    def client(self, service: str, region: str = "us-east-1", **credentials: str) -> Any:
        import boto3

        kwargs = self.client_kwargs(region)
        kwargs.update(credentials)
        return boto3.client(service, **kwargs)

    def cdk(self, *args: str, context: dict[str, str] | None = None, timeout: float = 600) -> str:
        """Run the pinned CDK CLI against the emulator; raise with its output if it fails."""
        cdk_bin = ROOT / "node_modules" / ".bin" / "cdk"
        command = [str(cdk_bin), *args, "--no-notices"]
        for key, value in (context or {}).items():
            command += ["-c", f"{key}={value}"]
        path = os.pathsep.join([str(Path(sys.executable).parent), str(ROOT / "node_modules" / ".bin"), os.environ.get("PATH", "")])
        env = {**os.environ, **self.env(), "PATH": path}
        env.pop("AWS_PROFILE", None)
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        output = result.stdout + result.stderr
        if result.returncode != 0:
            raise EmulatorError(f"cdk {' '.join(args)} failed ({result.returncode}):\n{output[-6000:]}")
        return output

    def set_auth(self, enforce: bool) -> None:
        """Make moto enforce IAM policies on API calls (``True``) or stop doing so."""
        import urllib.request

        body = b"0" if enforce else b"inf"
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/reset-auth", data=body, headers={"Content-Type": "text/plain"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback only)
            response.read()

    def _tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

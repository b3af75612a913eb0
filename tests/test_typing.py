"""The package ships py.typed: its annotations must hold (mypy over constructs_iam)."""

from __future__ import annotations

import subprocess
import sys

from .support import ROOT


def test_constructs_iam_type_checks():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "constructs_iam", "--ignore-missing-imports", "--cache-dir", str(ROOT / ".mypy_cache")],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr

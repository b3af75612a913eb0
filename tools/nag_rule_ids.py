"""Write ``constructs_iam/data/nag_rule_ids.json``: every rule id of each cdk-nag pack, read from the
installed cdk-nag package (its jsii tarball), so ``acknowledge`` can refuse an id no pack has.

    python -m tools.nag_rule_ids            # rewrite the file from the installed cdk-nag
    python -m tools.nag_rule_ids --check    # exit 1 when the file differs (tests run this check)

A pack's rule id is ``<packName>-<ruleSuffixOverride>`` when the pack sets a suffix (AwsSolutions:
``AwsSolutions-IAM5``), else ``<packName>-<rule function name>`` (``NIST.800.53.R5-S3BucketLoggingEnabled``).
"""

from __future__ import annotations

import json
import re
import sys
import tarfile
from pathlib import Path

from constructs_iam.acknowledgments import NAG_RULE_IDS_FILE

_PACK_NAME = re.compile(r"this\.packName = '([^']+)'")
_SUFFIX = re.compile(r"ruleSuffixOverride: '([^']+)'")
_RULE = re.compile(r"\brule: [\w$]+\.(\w+)")


def rule_ids() -> dict[str, list[str]]:
    import cdk_nag

    (tarball,) = (Path(cdk_nag.__file__).parent / "_jsii").glob("cdk-nag@*.jsii.tgz")
    packs: dict[str, list[str]] = {}
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            if not re.fullmatch(r"package/lib/packs/[\w-]+\.js", member.name):
                continue
            source = archive.extractfile(member).read().decode()  # type: ignore[union-attr]
            name = _PACK_NAME.search(source)
            if name is None:
                continue
            ids = set()
            for block in source.split("this.applyRule(")[1:]:
                block = block.split("});", 1)[0]
                suffix = _SUFFIX.search(block) or _RULE.search(block)
                if suffix is None:
                    raise SystemExit(f"{member.name}: a rule without a suffix or rule name: {block[:200]}")
                ids.add(f"{name.group(1)}-{suffix.group(1)}")
            packs[name.group(1)] = sorted(ids)
    return dict(sorted(packs.items()))


def main(argv: list[str]) -> int:
    text = json.dumps({"cdk-nag": _version(), "packs": rule_ids()}, indent=1) + "\n"
    if "--check" in argv:
        if NAG_RULE_IDS_FILE.read_text() != text:
            print(f"{NAG_RULE_IDS_FILE} is out of date: run python -m tools.nag_rule_ids", file=sys.stderr)
            return 1
        return 0
    NAG_RULE_IDS_FILE.write_text(text)
    return 0


def _version() -> str:
    from importlib.metadata import version

    return version("cdk-nag")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

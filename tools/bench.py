"""`make bench`: measure, side by side in one run, and print ratios (a benchmark, not a test).

1. synth of the sample app with every check vs the same resources written with plain aws_cdk,
   no checks (tools/bench_plain_app.py);
2. synth with every check for 100 and for 1,000 workloads;
3. the wall time of the test suite, split by test module.

Each synth is a fresh process (`python app.py` with cdk.json's context, as the CDK CLI runs it);
the fastest of --repeat runs (after a warm-up) is reported, the sample and the plain app run in
turn. Goals: (1) ratio at most 1.25; (2) 1,000 workloads in
at most 15 s and a ratio of at most 10, at most 10 jsii round trips per workload (counted by
tools/jsii_count.py); (3) the test suite (`make test`'s command) in at most 120 s warm.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from stacks.config import ROOT, load_cdk_json


def _env() -> dict[str, str]:
    """The environment of every measured process: the virtualenv's Node first, and bytecode caching on
    (an installed package has its .pyc files; with PYTHONDONTWRITEBYTECODE set, as in some sandboxes,
    every run would recompile the library's modules and the measure would be of the compiler)."""
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _synth_once(script: str, ctx: dict, env: dict[str, str]) -> float:
    with tempfile.TemporaryDirectory() as outdir:
        run_env = {**env, "CDK_CONTEXT_JSON": json.dumps(ctx), "CDK_OUTDIR": outdir}
        start = time.perf_counter()
        result = subprocess.run([sys.executable, script], cwd=ROOT, env=run_env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(f"{script} failed:\n{result.stderr[-3000:]}")
        return elapsed


def synth_seconds(script: str, ctx: dict, repeat: int) -> float:
    """The fastest of ``repeat`` runs, after one unmeasured warm-up run (bytecode, disk caches): on a
    shared virtual machine the noise only ever adds time, so the minimum is the stable figure."""
    env = _env()
    _synth_once(script, ctx, env)
    return min(_synth_once(script, ctx, env) for _ in range(repeat))


def synth_pair(first: str, second: str, ctx: dict, repeat: int) -> tuple[float, float]:
    """``synth_seconds`` of two scripts run in turn (first, second, first, ...), so a slower or faster
    spell of the machine falls on both: the ratio of the two minimums."""
    env = _env()
    _synth_once(first, ctx, env), _synth_once(second, ctx, env)
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        times[0].append(_synth_once(first, ctx, env))
        times[1].append(_synth_once(second, ctx, env))
    return min(times[0]), min(times[1])


def with_workloads(ctx: dict, count: int) -> dict:
    ctx = copy.deepcopy(ctx)
    ctx["constructs-iam"]["workloads"]["items"] = [
        {"name": f"svc-{i:04d}", "prefix": f"services/svc-{i:04d}/", "access": "read-write"} for i in range(count)
    ]
    return ctx


def round_trips(ctx: dict) -> int:
    """jsii round trips of one `python app.py` run (tools/jsii_count.py)."""
    env = _env()
    with tempfile.TemporaryDirectory() as outdir:
        result = subprocess.run([sys.executable, "-m", "tools.jsii_count"], cwd=ROOT, capture_output=True, text=True,
                                env={**env, "CDK_CONTEXT_JSON": json.dumps(ctx), "CDK_OUTDIR": outdir})
    lines = [line for line in result.stderr.splitlines() if line.startswith("jsii round trips:")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"tools.jsii_count failed:\n{result.stderr[-3000:]}")
    return int(lines[-1].split(":")[1])


def report_seconds(ctx: dict) -> float:
    """Synthesize as `cdk synth` does (with path metadata), then time the access report page over the
    assembly (`--format html`: the whole report plus the page)."""
    env = _env()
    ctx = {**ctx, "aws:cdk:enable-path-metadata": True}
    with tempfile.TemporaryDirectory() as outdir:
        subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, check=True,
                       env={**env, "CDK_CONTEXT_JSON": json.dumps(ctx), "CDK_OUTDIR": outdir})
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "constructs_iam.report", outdir, "--format", "html", "--output",
                        os.devnull], cwd=ROOT, capture_output=True, check=True)
        return time.perf_counter() - start


def test_suite_seconds() -> tuple[float, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile",
                        f"--junitxml={report}"], cwd=ROOT, capture_output=True, text=True)
        total = time.perf_counter() - start
        modules: dict[str, float] = defaultdict(float)
        for case in ET.parse(report).iter("testcase"):
            modules[case.get("classname", "?").split(".")[1] if "." in case.get("classname", "") else "?"] += float(case.get("time", 0))
    return total, dict(modules)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-tests", action="store_true", help="skip measuring the test suite")
    args = parser.parse_args()
    ctx = load_cdk_json()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")

    sample, plain = synth_pair("app.py", "tools/bench_plain_app.py", ctx, args.repeat)
    print(f"\n1. sample app synth: with all checks {sample:.1f} s, plain CDK without checks {plain:.1f} s, "
          f"ratio {sample / plain:.2f} (goal <= 1.25)")

    hundred = synth_seconds("app.py", with_workloads(ctx, 100), args.repeat)
    thousand = synth_seconds("app.py", with_workloads(ctx, 1000), max(1, args.repeat - 1))
    per_workload = (round_trips(with_workloads(ctx, 1000)) - round_trips(with_workloads(ctx, 100))) / 900
    report_100, report_1000 = report_seconds(with_workloads(ctx, 100)), report_seconds(with_workloads(ctx, 1000))
    print(f"2. workloads with all checks: 100 -> {hundred:.1f} s, 1,000 -> {thousand:.1f} s (goal <= 15 s), "
          f"ratio {thousand / hundred:.2f} (goal <= 10); jsii round trips per workload {per_workload:.1f} (goal <= 10)")
    print(f"   access report (python -m constructs_iam.report): 100 -> {report_100:.1f} s, 1,000 -> {report_1000:.1f} s "
          f"(goal <= 2 s), ratio {report_1000 / report_100:.1f}")

    if not args.skip_tests:
        total, modules = test_suite_seconds()
        print(f"3. test suite (make test: 2 workers): {total:.0f} s wall (goal <= 120 s warm); per module (setup + tests, "
              "summed over workers):")
        for module, seconds in sorted(modules.items(), key=lambda item: -item[1]):
            print(f"   {seconds:7.1f} s  {module}  ({seconds / total:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

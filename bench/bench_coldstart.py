"""Cold start of each Lambda handler: import plus init time and peak memory of a fresh interpreter importing
app.py, side by side with the floor (``import boto3`` plus the clients that function makes)."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNS = 15  # interleaved with the floor; the host is noisy (medians of 9 moved by 0.3x between runs)
NO_PYC_RUNS = 5
# The AWS clients each function creates in its init phase (the floor it is compared with).
INIT_CLIENTS = {
    "WebhookFunction": ("sqs",),
    "SyncFunction": ("dynamodb",),
    "BackfillFunction": ("dynamodb", "lambda"),
}
# Target of the cold-start work: import plus init within this factor of the floor.
TARGET_RATIO = 1.5
# Runs in the child: import the handler module the way the Lambda runtime does (by file, /var/task first).
_PROBE = """
import importlib.util, json, os, resource, sys, time
path, clients, mode = sys.argv[1], [c for c in sys.argv[2].split(",") if c], sys.argv[3]
started, cpu_started = time.perf_counter(), time.process_time()
waited = []
if path and mode == "live":  # time the handler's wait for the mapping its thread loads
    import jira_port.live.runtime as runtime
    load = runtime.live_mapping
    def timed_load(*args):
        begun = time.perf_counter()
        try:
            return load(*args)
        finally:
            waited.append(time.perf_counter() - begun)
    runtime.live_mapping = timed_load
elif path and mode == "nomap":  # the same handler without loading the mapping (jq worker, sample check)
    import types
    import jira_port.live.runtime as runtime
    runtime.start_live_mapping = lambda *args: None
    runtime.live_mapping = lambda *args: types.SimpleNamespace(close=lambda: None)
if clients:  # the floor: boto3 and the AWS clients the function makes at init
    if mode == "nogc":  # as the handlers do: no collection while init allocates
        import gc
        gc.disable()
    import boto3
    session = boto3.session.Session()
    made = [session.client(name) for name in clients]
if path:
    spec = importlib.util.spec_from_file_location("app", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    assert callable(module.lambda_handler)
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
ticks = 0  # CPU of live child processes (the jq worker): utime + stime from /proc
for task in os.listdir("/proc/self/task"):
    for pid in open(f"/proc/self/task/{task}/children").read().split():
        ticks += sum(int(v) for v in open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[11:13])
cpu += ticks / os.sysconf("SC_CLK_TCK")
# VmHWM belongs to this process image; ru_maxrss would carry the parent's peak across exec.
try:
    status = open("/proc/self/status").read()
    peak_kb = int(status.split("VmHWM:")[1].split()[0])
except (OSError, IndexError):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
found = {"ms": elapsed * 1000, "cpu_ms": cpu * 1000, "rss_kb": peak_kb, "modules": len(sys.modules)}
found["wait_ms"] = sum(waited) * 1000
print(json.dumps(found))
"""


def _functions() -> dict[str, tuple[str, Path]]:
    """Logical id -> (folder, app.py) for every function of the template whose app.py exists."""
    from tests.infra.stack import load_sam

    found = {}
    for logical_id, resource in load_sam()["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        folder = resource["Properties"]["CodeUri"].strip("/")
        module = resource["Properties"]["Handler"].rpartition(".")[0]
        app = ROOT / folder / f"{module}.py"
        if app.is_file():
            found[logical_id] = (folder, app)
    return found


def _built_layer(target: Path) -> Path:
    """The layer's own package as its build makes it (``make layer-package``: ``jira_port`` with an
    unchecked-hash ``.pyc`` for every module), in ``target``; what Lambda mounts at ``/opt/python``."""
    subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT / "layers/jira_port"), "layer-package",
         f"ARTIFACTS_DIR={target}", f"PYTHON={sys.executable}"],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return target / "python"


def _lambda_env(logical_id: str, folder: str, layer: Path) -> dict[str, str]:
    """The function's environment from the template plus what the Lambda runtime sets, with ``layer`` as
    /opt/python."""
    from tests.infra.stack import Stack

    stack = Stack()
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env |= stack.function_env(logical_id)
    props = stack.resources[logical_id]["Properties"]
    env |= {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_LAMBDA_FUNCTION_NAME": stack.resolve(props["FunctionName"]),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props["MemorySize"]),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "LAMBDA_TASK_ROOT": str(ROOT / folder),
        "_HANDLER": props["Handler"],
        # /var/task first, then the layer (/opt/python); third-party packages come from this venv.
        "PYTHONPATH": os.pathsep.join([str(ROOT / folder), str(layer)]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return env


def _probe(
    app: Path | None, env: dict[str, str], clients: tuple[str, ...] = (), mode: str = ""
) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(app) if app else "", ",".join(clients), mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=env.get("LAMBDA_TASK_ROOT", str(ROOT)),
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {app} failed:\n{done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


LIVE = ("WebhookFunction", "SyncFunction")


def _layer_without_pyc(target: Path) -> Path:
    """The layer as SAM's python builder shipped it: ``jira_port`` and every locked distribution (boto3
    included, which then shadows the runtime's), as source without bytecode."""
    python = target / "python"
    shutil.copytree(
        ROOT / "layers/jira_port/jira_port",
        python / "jira_port",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    lock = (ROOT / "layers/jira_port/requirements.txt").read_text(encoding="utf-8")
    for name in re.findall(r"^([A-Za-z0-9_.-]+)==", lock, re.MULTILINE):
        dist = metadata.distribution(name)
        for file in dist.files or ():
            source = Path(str(dist.locate_file(file)))
            if "__pycache__" in file.parts or file.parts[0].endswith(".dist-info") or not source.is_file():
                continue
            (python / file).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, python / file)
    return python


def _no_pyc_row(logical_id: str, folder: str, app: Path, floor_ms: float, layer: Path) -> str:
    env = _lambda_env(logical_id, folder, layer)
    samples = [_probe(app, env)["ms"] for _ in range(NO_PYC_RUNS)]
    ms = statistics.median(samples)
    return f"| {logical_id} | {ms:.0f} | {ms / floor_ms:.2f}x | {min(samples):.0f}-{max(samples):.0f} |"


def _row(logical_id: str, folder: str, app: Path, layer: Path) -> tuple[str, float]:
    env = _lambda_env(logical_id, folder, layer)
    live = logical_id in LIVE
    _probe(app, env)  # warm the page cache, like a re-used Lambda image
    baseline = statistics.median(_probe(None, env)["rss_kb"] for _ in range(3))
    clients = INIT_CLIENTS.get(logical_id, ())
    # Interleaved, so both sides see the same machine load.
    samples, floors, unmapped, paused = [], [], [], []
    for _ in range(RUNS):
        samples.append(_probe(app, env, mode="live" if live else ""))
        floors.append(_probe(None, env, clients))
        paused.append(_probe(None, env, clients, mode="nogc"))
        if live:
            unmapped.append(_probe(app, env, mode="nomap"))
    ms = statistics.median(s["ms"] for s in samples)
    floor_ms = statistics.median(f["ms"] for f in floors)
    rss = statistics.median(s["rss_kb"] for s in samples)
    floor_rss = statistics.median(f["rss_kb"] for f in floors)
    ratio = ms / floor_ms
    paused_ratio = ms / statistics.median(f["ms"] for f in paused)
    cpu_ratio = statistics.median(s["cpu_ms"] for s in samples) / statistics.median(
        f["cpu_ms"] for f in floors
    )
    verdict = "yes" if ratio <= TARGET_RATIO else "no"
    spread = f"{min(s['ms'] for s in samples):.0f}-{max(s['ms'] for s in samples):.0f}"
    mapping = "-"
    if live:
        wait = statistics.median(s["wait_ms"] for s in samples)
        cpu_ms = statistics.median(s["cpu_ms"] for s in samples)
        share = ms - statistics.median(u["ms"] for u in unmapped)
        cpu_share = cpu_ms - statistics.median(u["cpu_ms"] for u in unmapped)
        mapping = f"{share:.0f} / {cpu_share:.0f} CPU ({wait:.0f} waited)"
    return (
        f"| {logical_id} (`{folder}/app.py`) | {ms:.0f} | {floor_ms:.0f} ({'+'.join(clients)}) "
        f"| **{ratio:.2f}x** {verdict} | {cpu_ratio:.2f}x | {paused_ratio:.2f}x | {spread} | {mapping} "
        f"| {rss / 1024:.1f} | {floor_rss / 1024:.1f} | {(rss - baseline) / 1024:.1f} "
        f"| {samples[0]['modules']} |"
    ), floor_ms


def run() -> str:
    """Measure every existing handler and return the Markdown section."""
    functions = _functions()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="layer-") as built:
        layer = _built_layer(Path(built))
        measured = {name: _row(name, folder, app, layer) for name, (folder, app) in functions.items()}
    rows = [row for row, _ in measured.values()]
    with tempfile.TemporaryDirectory(prefix="layer-no-pyc-") as scratch:
        layer = _layer_without_pyc(Path(scratch))
        no_pyc = [
            _no_pyc_row(logical_id, folder, app, measured[logical_id][1], layer)
            for logical_id, (folder, app) in functions.items()
        ]
    load_after = os.getloadavg()[0]
    skipped = sorted({"WebhookFunction", "SyncFunction", "BackfillFunction"} - set(functions))
    lines = [
        "## Handler cold start",
        "",
        "| function | import + init ms (median) | floor ms: `import boto3` + its clients | ratio "
        f"(target <= {TARGET_RATIO}x) | CPU ratio | ratio to a floor without GC | range ms "
        "| of which mapping load ms | peak RSS MiB | floor RSS MiB | over bare interpreter MiB | modules |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"How: each handler's `app.py` imported {RUNS} times, each in a fresh `python` process with the "
        "function's environment from template.yaml (`TRACE_SDK_CALLS` off: no X-Ray SDK import) and the "
        "variables the Lambda runtime sets, the layer's package as its build makes it (`make layer-package` "
        "in a scratch folder: every module with its `.pyc`, none written at run time; third-party packages "
        "from this venv, compiled by pip); time is the module import with the handler's init phase "
        "(interpreter start excluded), memory is the process's peak RSS (`VmHWM`). The floor is a fresh "
        "process that only imports boto3 and creates the AWS clients that function makes at init, run "
        "interleaved with the handler's runs; the ratio is of the two medians. Mapping load: the live "
        "handlers first import the mapping's modules, then load the mapping on a thread (read, prove, "
        "compile; a mapping the proof refuses also starts its jq worker and checks the sample events; the "
        "thread imports nothing, see `live.runtime._mapping_loader`), overlapping their other imports. "
        "Its share (wall ms / CPU ms) is the median minus the median of the same handler run "
        "(interleaved) with that load stubbed out; *waited* is how long the init phase blocked on the "
        "thread (median). "
        "CPU ratio: the same medians in CPU time (all threads plus the live jq worker process, from "
        "/proc), which machine load hardly inflates and which a fractional Lambda vCPU (512 MB) pays in "
        "full. The handlers run init with the garbage collector off and freeze what it built at its end "
        "(`functions/*/app.py`); the floor is a plain process, so the next column divides by a floor that "
        "also imports with the collector off, for what that alone is worth. The backfill function builds its "
        "service (boto3, its clients, the mapping) in its first invocation, not at init, so its row is its "
        "imports alone against a floor that makes the clients. "
        f"Load average {load_before:.1f} before, {load_after:.1f} after (2 shared cores). Measured on this "
        "x86_64 machine, not on Lambda's arm64.",
    ]
    lines += [
        "",
        "Layer without .pyc (what the layer cost before it was precompiled):",
        "",
        "| function | import + init ms (median) | ratio to the floor above | range ms |",
        "|---|---:|---:|---:|",
        *no_pyc,
        "",
        "How: Lambda mounts the layer read-only at `/opt`, so modules without a `.pyc` there are compiled "
        "from source on every cold start. SAM's python builder ships none (it unzips the wheels and leaves "
        "caches out); the layer's own build (`layers/jira_port/Makefile`) now writes unchecked-hash `.pyc` "
        "files for every module, which the rows above are measured with. Here each "
        f"handler is imported {NO_PYC_RUNS} times with a copy of the layer made as SAM's python builder made "
        "it: `jira_port` and every locked distribution (boto3 and botocore included, which shadow the "
        "runtime's) as source only, first on the path, with bytecode writing off; the standard library keeps "
        "its bytecode, as in the Lambda runtime.",
    ]
    if skipped:
        lines += ["", f"Not measured (no app.py yet): {', '.join(skipped)}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())

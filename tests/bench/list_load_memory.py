#!/usr/bin/env python3
"""Peak memory while loading lists (docs/BENCHMARKS.md section 18): one `domains` list of N
synthetic names (tests/integration/synthetic_names.py, 20.8 bytes a name), RUNS times each:

- shelterd compiling it at start: VmHWM (the peak) and VmRSS 1 s after "ready" (steady);
- a reload of an edited copy (SIGHUP): the peak of the reload alone (VmHWM is reset through
  /proc/PID/clear_refs first, so the start's peak does not hide it) and VmRSS after it;
- `shelterd --check-config`: its peak (ru_maxrss);
- `shelter-compile --output`: its peak and wall time.

Prints each run and the median with min-max. Loopback only; the upstream is never asked.
Usage: python3 tests/bench/list_load_memory.py BUILD_DIR [N] (defaults: build, 1000000); RUNS=3.
"""
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Shelterd, base_config  # noqa: E402
from synthetic_names import write_names  # noqa: E402
from test_list_memory import status_mib  # noqa: E402


def child_peak(cmd):
    """(peak RSS in MiB, wall seconds, exit code) of one command."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss / 1024, time.monotonic() - t0, os.waitstatus_to_exitcode(status)


def one_run(build, list_path, work):
    cfg = base_config("127.0.0.1:9", threads=1,
                      lists=[{"id": "big", "format": "domains", "path": list_path,
                              "category": "adult"}])
    row = {}
    with Shelterd(os.path.join(build, "proxy", "shelterd"), cfg, ready_timeout=120) as d:
        pid = d.proc.pid
        time.sleep(1.0)
        row["start peak"] = status_mib(pid, "VmHWM")
        row["steady"] = status_mib(pid, "VmRSS")
        with open(list_path, "a") as f:
            f.write("one-more-name.test\n")
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        since = d.mark()
        d.proc.send_signal(signal.SIGHUP)
        if d.wait_for(r"reload: (ok|partial)", since, 120) is None:
            raise RuntimeError("no reload:\n" + d.log_tail())
        time.sleep(1.0)
        row["reload peak"] = status_mib(pid, "VmHWM")
        row["after reload"] = status_mib(pid, "VmRSS")
        config_path = d.config_path
        peak, _, rc = child_peak([os.path.join(build, "proxy", "shelterd"), "--check-config",
                                  "--config", config_path])
        if rc != 0:
            raise RuntimeError(f"--check-config exit {rc}")
        row["check-config peak"] = peak
        peak, secs, rc = child_peak([os.path.join(build, "tools", "shelter-compile"),
                                     "--config", config_path,
                                     "--output", os.path.join(work, "lists.snap")])
        if rc != 0:
            raise RuntimeError(f"shelter-compile exit {rc}")
        row["compile peak"] = peak
        row["compile s"] = secs
    return row


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    runs = int(os.environ.get("RUNS", "3"))
    work = tempfile.mkdtemp(prefix="shelter-listmem-")
    list_path = os.path.join(work, "names.txt")
    rows = []
    for i in range(runs):
        write_names(list_path, n)  # afresh: the reload appended a name
        row = one_run(build, list_path, work)
        print(f"run {i + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()), flush=True)
        rows.append(row)
    for key in rows[0]:
        v = [r[key] for r in rows]
        unit = "s" if key.endswith(" s") else "MiB"
        print(f"{key}: median {statistics.median(v):.2f} {unit} "
              f"(min {min(v):.2f}, max {max(v):.2f})")
    ratio = [r["start peak"] / r["steady"] for r in rows]
    print(f"start peak / steady: median {statistics.median(ratio):.2f} "
          f"(min {min(ratio):.2f}, max {max(ratio):.2f})")
    os.remove(list_path)


if __name__ == "__main__":
    main()

"""`harness run` in this process, printing each task's own peak RSS (Linux only).

    python scripts/task_memory.py --model DIR --no-cache --dtype bfloat16 [any `harness run` option]

Before each task the kernel's high-water mark is reset (`/proc/self/clear_refs`), so the
line printed after it is that task's peak, the RSS the process kept (anonymous and
file-backed: mapped weights), its seconds and the C heap (glibc's `mallinfo2`). The reset
also resets what `/usr/bin/time -v` reports as the maximum: the run's peak is the highest
task's.
"""

from __future__ import annotations

import ctypes
import sys
import time
from typing import Any

import harness.runs.runner as runner
from harness.cli.main import app


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _status() -> dict[str, float]:
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0]) * 1024 / 1e9  # KiB -> GB
    return fields


def _heap() -> str:
    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):  # not glibc 2.33+
        return ""
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return (f" heap {info.arena / 1e6:.0f} MB ({info.uordblks / 1e6:.0f} in use, "
            f"{info.fordblks / 1e6:.0f} free)")


_run_task = runner.run_task


def _measured(engine: Any, planned: Any, *args: Any, **kwargs: Any) -> Any:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset VmHWM to the current RSS
    started = time.perf_counter()
    out = _run_task(engine, planned, *args, **kwargs)
    s = _status()
    print(f"task {planned.task.name:14s} peak {s['VmHWM']:.3f} GB, kept {s['VmRSS']:.3f} "
          f"(anon {s['RssAnon']:.3f}, file {s['RssFile']:.3f}), "
          f"{time.perf_counter() - started:.1f} s" + _heap(), file=sys.stderr, flush=True)
    return out


if __name__ == "__main__":
    runner.run_task = _measured
    sys.argv = ["harness", "run", *sys.argv[1:]]
    app()

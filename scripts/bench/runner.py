"""Processes of the benchmark: the sandbox org (its own process, with its control API) and one child per measurement."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from scripts.local_env import RunningSandbox, airflow_env, start_sandbox

ROOT = Path(__file__).resolve().parents[2]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a running process (its threads included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


class ChildFailed(RuntimeError):
    pass


@dataclass
class Bench:
    """Where the benchmark keeps its files, and the environment its children run with."""

    state: Path
    env: dict[str, str] = field(default_factory=dict)
    counter: int = 0

    @classmethod
    def create(cls, state: Path) -> "Bench":
        shutil.rmtree(state / "work", ignore_errors=True)
        (state / "work").mkdir(parents=True)
        (state / "logs").mkdir(parents=True, exist_ok=True)
        env = airflow_env(ROOT, state)
        env["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
        env["PYTHONPATH"] = str(ROOT)
        return cls(state, env)

    @property
    def work(self) -> Path:
        return self.state / "work"

    def run(self, task: str, args: dict, *, env: dict[str, str] | None = None, org: "Org | None" = None,
            timeout_s: float = 3600) -> dict:
        """Run one child; its result, plus its own peak RSS and CPU seconds (os.wait4) and the org's CPU seconds."""
        self.counter += 1
        result_path = self.work / f"result-{self.counter:04d}-{task}.json"
        log_path = self.state / "logs" / f"child-{self.counter:04d}-{task}.log"
        child_env = dict(env or self.env)
        org_cpu = org.cpu_seconds() if org else None
        started = time.monotonic()
        with log_path.open("w") as log:
            process = subprocess.Popen([sys.executable, "-m", "scripts.bench.child", task, json.dumps(args),
                                        str(result_path)], cwd=ROOT, env=child_env, stdout=log, stderr=log)
            killer = threading.Timer(timeout_s, lambda: process.kill())
            killer.start()
            try:
                _, status, usage = os.wait4(process.pid, 0)
            finally:
                killer.cancel()
            process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.monotonic() - started
        if process.returncode != 0 or not result_path.exists():
            tail = log_path.read_text()[-3000:]
            raise ChildFailed(f"bench child {task} failed (exit {process.returncode}); log {log_path}:\n{tail}")
        result = json.loads(result_path.read_text())
        result_path.unlink()
        result["process"] = {"peak_rss_mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime,
                             "wall_s": elapsed}
        if org is not None:
            result["org_cpu_s"] = org.cpu_seconds() - org_cpu
        return result


class Org:
    """A sandbox org in its own process (``python -m sandbox`` through scripts/local_env.start_sandbox)."""

    def __init__(self, bench: Bench, name: str, extra_args: list[str]):
        self.name = name
        self.state = bench.work / f"org-{name}"
        shutil.rmtree(self.state, ignore_errors=True)
        self.state.mkdir(parents=True)
        self.env = dict(bench.env)
        self.env["MEDALLION_DUCKDB_PATH"] = str(self.state / "hightouch-reads.duckdb")
        started = time.monotonic()
        self.sandbox: RunningSandbox = start_sandbox(ROOT, self.state, self.env, list(extra_args))
        self.start_seconds = time.monotonic() - started
        self.values = self.sandbox.values
        self.pid = self.sandbox.process.pid
        self.control_url = self.values["SANDBOX_CONTROL_URL"]

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.pid)

    def peak_rss_mb(self) -> float | None:
        return process_vm_hwm_mb(self.pid)

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.control_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read() or b"{}")

    def mutate(self, object_name: str, kind: str, count: int) -> int:
        answer = self.control("POST", "/orgs/salesforce/mutations", {"object": object_name, "kind": kind,
                                                                     "count": count})
        return len(answer.get("ids", []))

    def set_bulk_latency(self, seconds: float) -> None:
        self.control("POST", "/settings", {"bulk_job_latency_seconds": seconds})

    def advance_clock(self, seconds: float) -> None:
        self.control("POST", "/clock", {"advance_seconds": seconds})

    def usage(self) -> dict:
        return self.control("GET", "/usage")

    def used(self, limit: str) -> int:
        return int(self.usage()["limits"][limit]["Used"])

    def stop(self) -> None:
        self.sandbox.stop()
        shutil.rmtree(self.state, ignore_errors=True)

    def __enter__(self) -> "Org":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

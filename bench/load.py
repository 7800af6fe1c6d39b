"""Load benchmark over the REST channel: this project's model beside Rasa's stock configuration.

Both models are trained on the same domain and data and served the same way
(the `Stack` that `make run` uses), one after the other, in the same run, so
the comparison is fair on this machine at this moment.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import yaml

from bot import settings as config
from bot.settings import ROOT
from bot.stack import Stack, free_port

STOCK_CONFIG = Path(__file__).with_name("stock_config.yml")
# One conversation's turns: FAQ questions, a questionnaire start, small talk and a crisis.
SCRIPT = [
    "hi",
    "how much does an infusion cost",
    "whats the difference between spravato and iv",
    "start the questionnaire",
    "yes",
    "is ketamine addictive",
    "i want to kill myself",
    "yes i'm safe",
    "can i drive home after",
    "thanks",
]


@dataclass
class Result:
    latencies: list[float]
    errors: int
    seconds: float

    def line(self, name: str) -> str:
        if not self.latencies:
            return f"{name:<34} no successful requests, {self.errors} errors"
        cuts = statistics.quantiles(self.latencies, n=100) if len(self.latencies) > 1 else self.latencies * 99
        return (
            f"{name:<34} p50 {cuts[49] * 1000:7.0f} ms  p95 {cuts[94] * 1000:7.0f} ms  p99 {cuts[98] * 1000:7.0f} ms  "
            f"{len(self.latencies) / self.seconds:6.1f} req/s  errors {self.errors}"
        )


async def _conversation(session: aiohttp.ClientSession, url: str, turns: int, pause: float, out: Result) -> None:
    sender = f"bench-{uuid.uuid4().hex}"
    for i in range(turns):
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": SCRIPT[i % len(SCRIPT)]}) as response:
                body = await response.json()
                if response.status != 200 or not isinstance(body, list):
                    out.errors += 1
                else:
                    out.latencies.append(time.perf_counter() - started)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            out.errors += 1
        if pause:
            await asyncio.sleep(pause)


async def _scenario(url: str, conversations: int, turns: int, pause: float) -> Result:
    result = Result([], 0, 0.0)
    timeout = aiohttp.ClientTimeout(total=120)
    connector = aiohttp.TCPConnector(limit=conversations)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(_conversation(session, url, turns, pause, result) for _ in range(conversations)))
        result.seconds = time.perf_counter() - started
    return result


def cpu_seconds(pid: int) -> float:
    """User+system CPU time of every process in `pid`'s process group (Stack starts each role as a group leader).

    CPU time per turn is the figure to compare between versions on a shared machine, where
    wall-clock latency also measures whatever else is running.
    """
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pid:  # the process group
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def train(config_file: Path, out: Path, name: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--config", str(config_file), "--fixed-model-name", name,
         "--out", str(out), "--force", "--quiet"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def measure(model: Path, label: str, workdir: Path) -> list[str]:
    settings = config.load(
        env_file=workdir / "absent.env",
        overrides={
            "DATABASE_URL": f"sqlite:///{workdir / (label + '.db')}",
            "REDIS_URL": "",
            "RASA_PORT": str(free_port()),
            "ACTION_SERVER_PORT": str(free_port()),
            "RASA_TOKEN": "",
            "CONSOLE_PORT": str(free_port()),
        },
    )
    stack = Stack(settings, model=model, alert_worker=False, name=f"bench-{label}", console=False)
    started = time.perf_counter()
    stack.start(timeout=300)
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    try:
        asyncio.run(_scenario(url, 1, 1, 0))
        first_answer = time.perf_counter() - started
        lines = [f"[{label}] first answer {first_answer:.1f} s after start"]
        alone = Result([], 0, 0.0)
        for _ in range(10):  # ten conversations of ten turns, one at a time
            one = asyncio.run(_scenario(url, 1, len(SCRIPT), 0))
            alone.latencies += one.latencies
            alone.errors += one.errors
            alone.seconds += one.seconds
        lines.append(alone.line(f"[{label}] one conversation alone"))
        lines.append(asyncio.run(_scenario(url, 50, 10, 1.0)).line(f"[{label}] 50 conversations, 1 s pauses"))
        pids = {role: stack.processes[role].pid for role in ("rasa", "actions")}
        before = {role: cpu_seconds(pid) for role, pid in pids.items()}
        saturation = asyncio.run(_scenario(url, 50, 10, 0))
        cpu = {role: (cpu_seconds(pid) - before[role]) * 1000 / max(len(saturation.latencies), 1) for role, pid in pids.items()}
        lines.append(saturation.line(f"[{label}] 50 conversations, no pause"))
        lines.append(f"[{label}] CPU per turn at saturation: Rasa {cpu['rasa']:.1f} ms, action server {cpu['actions']:.1f} ms")
        lines.append(f"[{label}] Rasa process peak memory {peak_memory_mb(stack.processes['rasa'].pid):.0f} MB")
        return lines
    finally:
        stack.stop()


def stock_config(workdir: Path) -> Path:
    """The stock config, plus this project's training-data importer so both read the same data.

    A copy, because Rasa rewrites a config whose assistant_id is still the placeholder.
    """
    importers = yaml.safe_load((ROOT / "config.yml").read_text()).get("importers")
    text = STOCK_CONFIG.read_text()
    if importers:
        text += "\n" + yaml.safe_dump({"importers": importers})
    path = workdir / "stock_config.yml"
    path.write_text(text)
    return path


def _fingerprint(config_file: Path) -> str:
    """Everything a training run reads, so a cached model is reused only while it is current."""
    digest = hashlib.sha256(config_file.read_bytes())
    inputs = [ROOT / "domain.yml", *sorted((ROOT / "data").rglob("*.yml")), *sorted((ROOT / "bot").rglob("*.py")),
              *sorted((ROOT / "bot").rglob("*.yml"))]  # fmt: skip
    for path in inputs:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def trained(config_file: Path, models: Path, name: str) -> tuple[Path, str]:
    """Train `name` unless an up-to-date model is cached in `models` (the stock one takes long)."""
    model, record = models / f"{name}.tar.gz", models / f"{name}.json"
    fingerprint = _fingerprint(config_file)
    if model.exists() and record.exists():
        cached = json.loads(record.read_text())
        if cached["fingerprint"] == fingerprint:
            return model, f"{cached['seconds']:.0f} s (measured {cached['trained_at']}, inputs unchanged since)"
    seconds = train(config_file, models, name)
    trained_at = time.strftime("%Y-%m-%d %H:%M")
    record.write_text(json.dumps({"fingerprint": fingerprint, "seconds": seconds, "trained_at": trained_at}))
    return model, f"{seconds:.0f} s"


def train_ours(models: Path) -> tuple[Path, str]:
    models.mkdir(parents=True, exist_ok=True)
    ours, ours_time = trained(ROOT / "config.yml", models, "ours")
    return ours, f"training: this project's config {ours_time}"


def train_both(models: Path) -> tuple[Path, Path, str]:
    ours, training = train_ours(models)
    stock, stock_time = trained(stock_config(models), models, "stock")
    return ours, stock, f"{training}; stock config {stock_time}"

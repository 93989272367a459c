"""Run a command repeatedly in fresh processes and catch the ones that stall.

A run "stalls" when the CPU time of its process (all threads, from /proc/PID/stat) does not
grow for ``--stall-s`` seconds. A stalled (or timed-out) run is dumped into ``--dump-dir`` —
every thread's state and wait channel twice 5 s apart, ``py-spy dump --native`` and gdb's
``thread apply all bt`` — then killed. One line per run (verdict, wall and CPU seconds, the
run's last output line), then ``finished F, stalled S, timeout T, failed X of N``.

    python tools/xla_cpu_hang/watch.py --runs 10 --parallel 2 --stall-s 30 -- \\
        python tools/xla_cpu_hang/repro_lapack.py --iters 200
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process, all threads, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_table(pid: int) -> str:
    """One line per thread: name, scheduler state, kernel wait channel, CPU seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    lines = []
    for task in sorted(Path(f"/proc/{pid}/task").iterdir(), key=lambda t: int(t.name)):
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick
        lines.append(f"{task.name:>8} {(task / 'comm').read_text().strip():<16} {fields[0]} "
                     f"{(task / 'wchan').read_text().strip() or '-':<16} cpu {cpu:.2f} s")
    return "\n".join(lines)


def shorten(frame_line: str) -> str:
    """Drop template arguments and argument lists from a gdb frame line."""
    while True:
        shorter = re.sub(r"<[^<>]*>", "", frame_line)
        shorter = re.sub(r"\([^()]*\)", "", shorter)
        if shorter == frame_line:
            return frame_line
        frame_line = shorter


def dump(pid: int, path: Path) -> None:
    """Thread states, py-spy's Python+native stacks, and gdb's native stack of every thread
    (py-spy shows only threads that hold a Python thread state, not XLA's own workers)."""
    first = thread_table(pid)
    time.sleep(5.0)
    sections = [f"# threads (state, wait channel, CPU time) at t and t+5 s\n{first}\n\n"
                f"{thread_table(pid)}"]
    spy = subprocess.run(["py-spy", "dump", "--native", "--pid", str(pid)],
                         capture_output=True, text=True, timeout=120)
    sections.append("# py-spy dump --native\n" + spy.stdout + spy.stderr)
    gdb = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt 40"],
                         capture_output=True, text=True, timeout=300)
    frames = [line if line.startswith("Thread ") else shorten(line)
              for line in gdb.stdout.splitlines() if line.startswith(("Thread ", "#"))]
    sections.append("# gdb thread apply all bt (template/argument lists elided)\n"
                    + "\n".join(frames))
    path.write_text("\n\n".join(sections) + "\n")


class Run:
    def __init__(self, index: int, cmd: list[str], log_dir: Path):
        self.index = index
        self.log = log_dir / f"run{index:03d}.log"
        self.proc = subprocess.Popen(cmd, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        self.start = time.monotonic()
        self.last_cpu = 0.0
        self.last_progress = self.start

    def poll(self, stall_s: float, timeout_s: float, dump_dir: Path, tag: str) -> str | None:
        """None while running; else 'finished', 'failed', 'stalled' or 'timeout'."""
        code = self.proc.poll()
        if code is not None:
            return "finished" if code == 0 else "failed"
        now = time.monotonic()
        try:
            cpu = cpu_seconds(self.proc.pid)
        except (FileNotFoundError, ProcessLookupError):
            return None
        if cpu > self.last_cpu + 0.05:
            self.last_cpu, self.last_progress = cpu, now
        verdict = None
        if now - self.last_progress > stall_s:
            verdict = "stalled"
        elif now - self.start > timeout_s:
            verdict = "timeout"
        if verdict:
            dump(self.proc.pid, dump_dir / f"{tag}_run{self.index:03d}_{verdict}.txt")
            self.proc.kill()
            self.proc.wait()
        return verdict


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--parallel", type=int, default=1, choices=(1, 2))
    parser.add_argument("--stall-s", type=float, default=60.0)
    parser.add_argument("--timeout-s", type=float, default=600.0)
    parser.add_argument("--tag", default="run")
    parser.add_argument("--dump-dir", type=Path, default=Path(__file__).parent / "dumps")
    parser.add_argument("--log-dir", type=Path, default=Path("/tmp/xla_cpu_hang_logs"))
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("give the command to run after --")
    args.dump_dir.mkdir(parents=True, exist_ok=True)
    log_dir = args.log_dir / args.tag
    log_dir.mkdir(parents=True, exist_ok=True)
    counts = {"finished": 0, "failed": 0, "stalled": 0, "timeout": 0}
    pending, running = list(range(args.runs)), []
    while pending or running:
        while pending and len(running) < args.parallel:
            running.append(Run(pending.pop(0), cmd, log_dir))
        time.sleep(2.0)
        for run in list(running):
            verdict = run.poll(args.stall_s, args.timeout_s, args.dump_dir, args.tag)
            if verdict:
                running.remove(run)
                counts[verdict] += 1
                tail = run.log.read_text().strip().splitlines()[-1:] or [""]
                print(f"[{args.tag}] run {run.index}: {verdict} after "
                      f"{time.monotonic() - run.start:.0f} s, cpu {run.last_cpu:.0f} s | {tail[0]}",
                      flush=True)
    print(f"[{args.tag}] finished {counts['finished']}, stalled {counts['stalled']}, "
          f"timeout {counts['timeout']}, failed {counts['failed']} of {args.runs}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

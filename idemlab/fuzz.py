"""Fuzzing the ``.idem`` decoder: mutated files, each decoded in an isolated, watched process.

``mutations(seed)`` yields hostile variants of real files — flipped bytes, truncations, random
bytes, and (the dangerous kind) files with a *valid* checksum whose header claims other sizes,
codecs or lengths, or whose strings are garbage. ``fuzz(cases)`` decodes each in a worker
process and watches it: a worker that dies is a crash, one that overruns the time limit is a
hang, one whose memory passes the limit is stopped and counted. Used by
``benchmarks/fuzz_bitstream.py`` (≥ 10,000 cases) and, on a quick subset, by the tests.
Book: Part II, chapter "The MSE codec" (the file format).
"""
from __future__ import annotations

import json
import os
import select
import struct
import subprocess
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from idemlab.codec.bitstream import IdemFile, pack, unpack

_LENGTH = struct.Struct(">I")


def _rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _with_crc(body: bytes) -> bytes:
    return body + struct.pack(">I", zlib.crc32(body))


def mutations(valid_files: list[bytes], n: int, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """Yield n (kind, bytes) cases made from valid files, in a fixed order for a given seed."""
    rng = np.random.default_rng(seed)
    sides = [0, 1, 2, 15, 16, 17, 255, 4096, 4097, 65535]
    for i in range(n):
        data = valid_files[i % len(valid_files)]
        f = unpack(data)
        kind = ("flip", "truncate", "random", "size", "size_extreme", "family_quality", "version",
                "garbage_strings", "flip_strings", "z_length", "extend")[i % 11]
        if kind == "flip":
            out = bytearray(data)
            for position in rng.integers(0, len(out), rng.integers(1, 5)):
                out[position] ^= int(rng.integers(1, 256))
            case = bytes(out)
        elif kind == "truncate":
            case = data[: rng.integers(0, len(data))]
        elif kind == "random":
            case = (b"IDM" if rng.random() < 0.5 else b"") + bytes(rng.integers(0, 256, rng.integers(0, 200), dtype=np.uint8))
        elif kind in ("size", "size_extreme"):
            pick = (lambda: int(rng.choice(sides))) if kind == "size_extreme" else (lambda: int(rng.integers(1, 65536)))
            height, width = pick() or 1, pick() or 1
            case = pack(IdemFile(f.family, f.quality, height, width, f.z_string, f.y_string))
        elif kind == "family_quality":
            case = pack(IdemFile(int(rng.integers(0, 256)), int(rng.integers(0, 256)), f.height, f.width,
                                 f.z_string, f.y_string))
        elif kind == "version":
            body = bytearray(data[:-4])
            body[3] = int(rng.integers(0, 256))
            case = _with_crc(bytes(body))
        elif kind == "garbage_strings":
            garbage = lambda m: bytes(rng.integers(0, 256, m, dtype=np.uint8))  # noqa: E731
            case = pack(IdemFile(f.family, f.quality, f.height, f.width, garbage(len(f.z_string)),
                                 garbage(len(f.y_string))))
        elif kind == "flip_strings":
            y = bytearray(f.y_string or b"\0")
            y[int(rng.integers(0, len(y)))] ^= int(rng.integers(1, 256))
            case = pack(IdemFile(f.family, f.quality, f.height, f.width, f.z_string, bytes(y)))
        elif kind == "z_length":
            body = bytearray(data[:-4])
            body[10] = int(rng.integers(0, 256))  # the first byte of the varint length of z
            case = _with_crc(bytes(body))
        else:
            case = pack(IdemFile(f.family, f.quality, f.height, f.width, f.z_string,
                                 f.y_string + bytes(rng.integers(0, 256, rng.integers(1, 64), dtype=np.uint8))))
        yield kind, case


@dataclass
class FuzzReport:
    """Return-type of :func:`fuzz`: outcome counts (``decoded``, ``refused`` = one IdemlabError,
    ``uncaught:<Type>``, ``crash``, ``hang``, ``memory``), the worst peak memory of a case (and
    the worker's memory before any case: torch and the codecs loaded) and the slowest case."""

    cases: int = 0
    outcomes: Counter = field(default_factory=Counter)
    by_kind: dict = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    baseline_rss_mb: float = 0.0
    slowest_seconds: float = 0.0
    examples: list = field(default_factory=list)

    @property
    def failures(self) -> int:
        """Return the number of cases that crashed, hung, ran out of memory or raised otherwise."""
        return sum(v for k, v in self.outcomes.items() if k not in ("decoded", "refused"))


class _Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-W", "ignore", "-m", "idemlab.fuzz"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._read_line(timeout=120)  # "ready" once torch and the codecs are loaded
        self.baseline_mb = _rss_mb(self.process.pid)

    def _read_line(self, timeout: float) -> bytes | None:
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        return self.process.stdout.readline() if ready else None

    def run(self, data: bytes, time_limit: float, memory_limit_mb: float) -> tuple[str, float, float]:
        start = time.perf_counter()
        self.process.stdin.write(_LENGTH.pack(len(data)) + data)
        self.process.stdin.flush()
        while True:
            line = self._read_line(timeout=0.02)
            elapsed = time.perf_counter() - start
            if line:
                outcome, peak = json.loads(line)
                return outcome, peak, elapsed
            if self.process.poll() is not None or line == b"":
                return "crash", 0.0, elapsed
            rss = _rss_mb(self.process.pid)
            if rss - self.baseline_mb > memory_limit_mb:
                self.stop()
                return "memory", rss, elapsed
            if elapsed > time_limit:
                self.stop()
                return "hang", rss, elapsed

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def fuzz(cases: list[tuple[str, bytes]], time_limit: float = 5.0, memory_limit_mb: float = 1024.0,
         progress: bool = False) -> FuzzReport:
    """Return the outcome of decoding each case in a watched worker process (restarted after a
    crash, hang or memory overrun); ``memory_limit_mb`` is counted above the loaded worker's."""
    from tqdm import tqdm

    report, worker = FuzzReport(), _Worker()
    report.baseline_rss_mb = worker.baseline_mb
    for kind, data in tqdm(cases, disable=not progress, unit="file"):
        outcome, peak, elapsed = worker.run(data, time_limit, memory_limit_mb)
        if outcome in ("crash", "hang", "memory"):
            worker = _Worker()
        report.cases += 1
        report.outcomes[outcome] += 1
        report.by_kind.setdefault(kind, Counter())[outcome] += 1
        report.peak_rss_mb = max(report.peak_rss_mb, peak)
        report.slowest_seconds = max(report.slowest_seconds, elapsed)
        if outcome not in ("decoded", "refused") and len(report.examples) < 20:
            report.examples.append({"kind": kind, "outcome": outcome, "hex": data[:64].hex()})
    worker.stop()
    return report


def _serve() -> None:
    """Worker loop: read length-prefixed files on stdin, decode each, answer one JSON line."""
    from idemlab.codec.pipeline import codec_for, decode
    from idemlab.codec.registry import family
    from idemlab.errors import IdemlabError

    for quality in family(1).qualities:
        codec_for(1, quality)
    clear_peak = f"/proc/{os.getpid()}/clear_refs"
    print("ready", flush=True)
    while header := sys.stdin.buffer.read(_LENGTH.size):
        data = sys.stdin.buffer.read(_LENGTH.unpack(header)[0])
        with open(clear_peak, "w") as f:
            f.write("5")  # reset the peak-memory counter (VmHWM) for this case
        try:
            decode(data)
            outcome = "decoded"
        except IdemlabError:
            outcome = "refused"
        except Exception as error:  # noqa: BLE001 — this is what the fuzzer looks for
            outcome = f"uncaught:{type(error).__name__}"
        print(json.dumps([outcome, _rss_mb(os.getpid(), "VmHWM")]), flush=True)


if __name__ == "__main__":
    _serve()

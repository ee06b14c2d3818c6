"""Benchmark: integrity and checksum of a 1 GiB gzip backup against `gzip -t` and `sha256sum`, and peak memory.

    .venv/bin/python benchmarks/backup_integrity.py              # 1 GiB, 3 repetitions, appends to results/
    .venv/bin/python benchmarks/backup_integrity.py --size-mib 200 --repeat 1 --no-record   # a quick look

The backup is generated once in /tmp (SQL-like rows with random words and numbers: about 3:1 under
gzip, so compressible but not trivial) and deleted at the end. Measured as child processes, interleaved
`gzip -t`, integrity, `sha256sum`, checksum (wall time, median; peak RSS is the child's own VmHWM, since
wait4's ru_maxrss also counts the parent's pages the child had before exec):

  integrity   python -c "integrity(item)" with format gzip: imports, listing, the whole file inflated
  checksum    python -c "checksum(item)": imports, listing, SHA-256 of the whole file against its sidecar

Goals (issue 3): integrity <= 1.2 x gzip -t; checksum <= 1.1 x sha256sum; peak RSS < 100 MB for any size
(also measured on a file a tenth of the size, to show it does not grow).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backup_bench import PYTHON, Run, median, record, timed  # noqa: E402

CHECK = """
import sys
from opsverify.checks.backup import checksum, integrity
from opsverify.spec.models.backups import Backup
item = Backup.model_validate({"name": "bench", "path": sys.argv[2], "max_age": "1d", "format": "gzip",
                              "checksum": "sidecar"})
result = getattr(sys.modules["opsverify.checks.backup." + sys.argv[1]], sys.argv[1])(item)
print(result.status.value, result.reason)
print(next(line for line in open("/proc/self/status") if line.startswith("VmHWM")))  # this process's peak RSS
sys.exit(0 if result.status.value == "passed" else 1)
"""


def generate(path: Path, size: int) -> int:
    """A gzip file of about `size` bytes of SQL-like text; the uncompressed size."""
    rng = random.Random(42)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10))) for _ in range(4096)]
    rows = [f"{i}\t{rng.choice(words)} {rng.choice(words)}\t{rng.choice(words)}@example.org\t"
            f"{rng.randint(0, 10**9)}\t2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00\n" for i in range(200_000)]
    blocks = ["".join(rng.sample(rows, len(rows))).encode() for _ in range(4)]  # 4 different 14 MB blocks
    squeeze = zlib.compressobj(1, zlib.DEFLATED, 31)
    written = raw = 0
    with open(path, "wb") as out:
        while written < size:
            block = blocks[raw % len(blocks)]
            out.write(data := squeeze.compress(block))
            written, raw = written + len(data), raw + len(block)
        out.write(squeeze.flush())
    return raw


def _peak(run: Run) -> float:
    """The child's own peak RSS in MB, from the VmHWM line it printed."""
    line = next(line for line in run.out.splitlines() if line.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def sidecar(path: Path) -> Run:
    """Write FILE.sha256 with sha256sum, timed (it is also the checksum baseline)."""
    run = timed(["sha256sum", str(path)])
    path.with_name(path.name + ".sha256").write_text(run.out.split()[0] + "  " + path.name + "\n")
    return run


def measure(path: Path, repeat: int) -> dict[str, list[Run]]:
    """The four commands, interleaved, `repeat` times."""
    runs: dict[str, list[Run]] = {"gzip_t": [], "integrity": [], "sha256sum": [], "checksum": []}
    for _ in range(repeat):
        runs["gzip_t"].append(timed(["gzip", "-t", str(path)]))
        runs["integrity"].append(timed([str(PYTHON), "-c", CHECK, "integrity", str(path)]))
        runs["sha256sum"].append(timed(["sha256sum", str(path)]))
        runs["checksum"].append(timed([str(PYTHON), "-c", CHECK, "checksum", str(path)]))
    for name, done in runs.items():
        bad = [run for run in done if run.code != 0]
        if bad:
            raise SystemExit(f"{name} failed: {bad[0].out.strip()}")
    return runs


def main() -> int:
    """Generate, measure, print, record, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="opsverify-bench-", dir="/tmp"))
    try:
        sizes = {"full": args.size_mib << 20, "tenth": (args.size_mib << 20) // 10}
        report: dict[str, object] = {"repeat": args.repeat}
        for label, size in sizes.items():
            path = folder / label / "db-1.sql.gz"
            path.parent.mkdir()
            raw = generate(path, size)
            sidecar(path)
            runs = measure(path, args.repeat if label == "full" else 1)
            report[label] = {"gzip_bytes": path.stat().st_size, "raw_bytes": raw,
                             **{f"{k}_s": round(median(v), 3) for k, v in runs.items()},
                             "samples_s": {k: [round(r.seconds, 3) for r in v] for k, v in runs.items()},
                             **{f"{k}_rss_mb": round(max(_peak(r) for r in v), 1) for k in ("integrity", "checksum")
                                for v in [runs[k]]}}
            shutil.rmtree(path.parent)
        full = report["full"]
        report["integrity_ratio"] = round(full["integrity_s"] / full["gzip_t_s"], 3)
        report["checksum_ratio"] = round(full["checksum_s"] / full["sha256sum_s"], 3)
        report["goals"] = {"integrity_ratio <= 1.2": report["integrity_ratio"] <= 1.2,
                           "checksum_ratio <= 1.1": report["checksum_ratio"] <= 1.1,
                           "peak RSS < 100 MB": max(full["integrity_rss_mb"], full["checksum_rss_mb"]) < 100}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for label in ("full", "tenth"):
        row = report[label]
        print(f"{label:5}  gzip {row['gzip_bytes'] / 2**20:7.1f} MiB ({row['raw_bytes'] / 2**20:7.1f} MiB raw)  "
              f"gzip -t {row['gzip_t_s']:6.2f}s  integrity {row['integrity_s']:6.2f}s ({row['integrity_rss_mb']:.0f} MB)"
              f"  sha256sum {row['sha256sum_s']:6.2f}s  checksum {row['checksum_s']:6.2f}s "
              f"({row['checksum_rss_mb']:.0f} MB)")
    print(f"integrity / gzip -t = {report['integrity_ratio']}   checksum / sha256sum = {report['checksum_ratio']}")
    print("goals:", ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in report["goals"].items()))
    if not args.no_record:
        print("recorded in", record("backup_integrity", report))
    return 0 if all(report["goals"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())

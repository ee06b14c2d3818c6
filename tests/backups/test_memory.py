"""Integrity and checksum read in constant memory: a gzip bomb (256 MiB of zeros in 1.2 MB) stays under 100 MB."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

LIMIT_KB = 100_000
CHECK = textwrap.dedent("""
    import sys
    from opsverify.checks.backup.checksum import checksum
    from opsverify.checks.backup.integrity import integrity
    from opsverify.spec.models.backups import Backup
    item = Backup.model_validate({"name": "t", "path": sys.argv[1], "max_age": "1d", "format": sys.argv[2],
                                  "checksum": "sidecar"})
    for check in (integrity, checksum):
        result = check(item)
        print(result.status.value, result.reason)
    print(next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1])
""")


def peak_rss_kb(*argv: str) -> tuple[int, list[str]]:
    """Run the checks in a Python child; its own peak RSS (VmHWM, kB) and the results it printed.

    (wait4's ru_maxrss would also count the pages of this big pytest process that the child had before exec.)
    """
    done = subprocess.run([sys.executable, "-c", CHECK, *argv], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[2])
    *results, peak = done.stdout.splitlines()
    return int(peak), results


def test_a_gzip_bomb_is_read_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "db-1.gz"
    with open(path, "wb") as out:
        subprocess.run("head -c 268435456 /dev/zero | gzip -1", shell=True, stdout=out, check=True)
    digest = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True).stdout.split()[0]
    (tmp_path / "db-1.gz.sha256").write_text(f"{digest}  db-1.gz\n")
    assert path.stat().st_size < 2 << 20  # a 1 MiB read inflates to over 100 MiB unless the output is bounded
    rss, out = peak_rss_kb(str(tmp_path / "db-*"), "gzip")
    assert out == ["passed db-1.gz read whole: CRC and length match, 256.0MiB uncompressed",
                                f"passed sha256 of db-1.gz matches db-1.gz.sha256 ({digest[:12]}…)"]
    assert rss < LIMIT_KB, f"peak RSS {rss} kB"

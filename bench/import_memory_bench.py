"""Import memory benchmark: peak RSS of the dry run of a 200 MB enterprise CSV (issue 14 item 7).

    .venv/bin/python bench/import_memory_bench.py            # 200 MB, goal: peak RSS <= 600 MB
    .venv/bin/python bench/import_memory_bench.py --mb 20    # a quick run

Builds a fresh SQLite database in a temporary JINFU_DATA_DIR (migrate + reference data), writes a CSV of
generated enterprises (valid, distinct USCCs) until it reaches the size, then runs the dry run (an import
job without commit: read, validate every row, diff) in a subprocess that starts from nothing and reports
its peak resident set size (resource.getrusage ru_maxrss) and, for comparison, the RSS of the same
process after Django started and before the import. The file limits (bytes, rows, cells) are raised for
the run so that the whole file is validated. Prints a table and ``RESULT`` lines; exits 1 above --goal-mb.
"""
# make bench 20: --mb 200 --goal-mb 600

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from import_bench import HEADER  # noqa: E402  (the import benchmark's columns)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup(data_dir: str, limit_bytes: int) -> None:
    os.environ["JINFU_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinfu.settings")
    os.environ["JINFU_TASKS"] = "immediate"
    os.environ["JINFU_IMPORT_MAX_BYTES"] = str(limit_bytes)
    os.environ["JINFU_IMPORT_MAX_ROWS"] = "100000000"
    os.environ["JINFU_IMPORT_MAX_CELLS"] = "2000000000"
    os.environ["JINFU_IMPORT_SYNC_MAX_ROWS"] = "100000000"  # run inline in this process
    import django

    django.setup()


def write_csv(path: Path, target_bytes: int, divisions: list[str], industries: list[str], seed: int) -> int:
    """Generated enterprises until the file reaches ``target_bytes``; returns the number of rows."""
    from jinfu.core.reference.uscc import generate_uscc

    rng = random.Random(seed)
    seen: set[str] = set()
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(HEADER)
        while fh.tell() < target_bytes:
            rows = []
            for _ in range(1000):
                div = rng.choice(divisions)
                code = generate_uscc(div, rng)
                while code in seen:
                    code = generate_uscc(div, rng)
                seen.add(code)
                emp = rng.randint(1, 800)
                rev = round(emp * rng.uniform(5, 80), 2)
                rows.append(
                    [
                        code,
                        f"重庆内存基准测试{n}科技有限公司",
                        "张三",
                        rng.choice([10, 50, 100, 500, 1000, 5000]),
                        rng.choice([0, 10, 50]),
                        f"{rng.randint(1995, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                        div,
                        rng.choice(industries),
                        emp,
                        rev,
                        round(rev * rng.uniform(0.5, 2), 2),
                        f"重庆市渝北区测试大道{n}号示例产业园{rng.randint(1, 30)}栋",
                        f"023-6{rng.randrange(10**7):07d}",
                    ]
                )
                n += 1
            w.writerows(rows)
    return n


def child(args) -> int:
    """The measured process: Django, then one dry-run import job of the file."""
    _setup(args.data_dir, args.limit_bytes)
    from jinfu.core.imports import services
    from jinfu.core.models import User

    base = peak_mb()
    admin = User.objects.get(username="bench-memory")
    t = time.perf_counter()
    with open(args.child, "rb") as fh:
        job = services.create_job("enterprises", fh, admin, commit=False, filename="enterprises.csv")
    job = services.run_job(job.pk)
    wall = time.perf_counter() - t
    print(
        json.dumps(
            {
                "status": job.status,
                "rows": job.total_rows,
                "errors": len(job.errors),
                "seconds": round(wall, 1),
                "baseline_mb": round(base),
                "peak_mb": round(peak_mb()),
            }
        )
    )
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=200, help="CSV size in MB (default: the 200 MB upload limit)")
    ap.add_argument("--goal-mb", type=int, default=600, help="peak RSS the dry run must stay within")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    ap.add_argument("--limit-bytes", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args)

    tmp = tempfile.mkdtemp(prefix="jinfu-import-memory-")
    target = args.mb * 1024 * 1024
    limit = target + 16 * 1024 * 1024
    _setup(tmp, limit)
    from django.core.management import call_command

    from jinfu.core.models import Division, Industry, Role, User
    from jinfu.core.reference.loader import load_reference_data

    call_command("migrate", verbosity=0)
    load_reference_data()
    User.objects.create_user(username="bench-memory", password="x" * 16, role=Role.ADMIN)
    divisions = list(
        Division.objects.filter(code__startswith="50").exclude(code="500000").values_list("code", flat=True)
    )
    industries = list(Industry.objects.filter(level=Industry.Level.CLASS).values_list("code", flat=True))
    path = Path(tmp) / "enterprises.csv"
    t = time.perf_counter()
    rows = write_csv(path, target, divisions, industries, args.seed)
    size_mb = path.stat().st_size / 1048576
    print(f"wrote {rows:,} rows, {size_mb:.0f} MB in {time.perf_counter() - t:.0f}s: {path}")

    cmd = [sys.executable, __file__, "--child", str(path), "--data-dir", tmp, "--limit-bytes", str(limit)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{'step':<28}{'MB file':>9}{'rows':>10}{'seconds':>9}{'base MB':>9}{'peak MB':>9}{'goal MB':>9}")
    print(
        f"{'import_csv_dry_run_memory':<28}{size_mb:>9.0f}{r['rows']:>10}{r['seconds']:>9}"
        f"{r['baseline_mb']:>9}{r['peak_mb']:>9}{args.goal_mb:>9}"
    )
    print(
        f"RESULT name=import_csv_dry_run_memory file_mb={size_mb:.0f} rows={r['rows']} status={r['status']} "
        f"seconds={r['seconds']} baseline_mb={r['baseline_mb']} peak_mb={r['peak_mb']} goal_mb={args.goal_mb}"
    )
    ok = r["status"] == "validated" and r["peak_mb"] <= args.goal_mb
    if not ok:
        print(
            f"FAILED: status {r['status']}, peak {r['peak_mb']} MB (goal {args.goal_mb} MB)", file=sys.stderr
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Import benchmark: N enterprise rows validated and committed through the import services.

    .venv/bin/python bench/import_bench.py --rows 100000

Runs on a fresh SQLite database in a temporary JINFU_DATA_DIR (migrate + reference data), writes a CSV
and an xlsx, and times: CSV validate (dry run), CSV commit (validate again + write all-or-nothing,
with audit log entries), and xlsx validate. Prints a table and ``RESULT`` lines.
"""
# make bench 10: --rows 100000

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

HEADER = [
    "统一社会信用代码",
    "企业名称",
    "法定代表人",
    "注册资本（万元）",
    "实缴资本（万元）",
    "成立日期",
    "行政区划代码",
    "行业代码",
    "从业人员",
    "营业收入（万元）",
    "资产总额（万元）",
    "地址",
    "联系电话",
]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_rows(n: int, seed: int, divisions: list[str], industries: list[str]) -> list[list]:
    from jinfu.core.reference.uscc import generate_uscc

    rng = random.Random(seed)
    seen: set[str] = set()
    out = []
    for i in range(n):
        div = rng.choice(divisions)
        while True:
            code = generate_uscc(div, rng)
            if code not in seen:
                seen.add(code)
                break
        emp = rng.randint(1, 800)
        rev = round(emp * rng.uniform(5, 80), 2)
        out.append(
            [
                code,
                f"重庆基准测试{i}有限公司",
                "张三",
                rng.choice([10, 50, 100, 500, 1000, 5000]),
                rng.choice([0, 10, 50]),
                f"{rng.randint(1995, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                div,
                rng.choice(industries),
                emp,
                rev,
                round(rev * rng.uniform(0.5, 2), 2),
                f"重庆市测试路{i}号",
                f"023-6{rng.randrange(10**7):07d}",
            ]
        )
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-xlsx", action="store_true", help="skip the xlsx validation timing")
    args = ap.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="jinfu-import-bench-")
    os.environ["JINFU_DATA_DIR"] = tmp
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinfu.settings")
    os.environ["JINFU_TASKS"] = "immediate"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    from jinfu.core.imports import services
    from jinfu.core.models import Division, Industry, Organization, Role, User
    from jinfu.core.reference.loader import load_reference_data

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    load_reference_data()
    setup_s = time.perf_counter() - t
    admin = User.objects.create_user(username="bench", password="x" * 16, role=Role.ADMIN)
    divisions = list(
        Division.objects.filter(code__startswith="50").exclude(code="500000").values_list("code", flat=True)
    )
    industries = list(Industry.objects.filter(level=Industry.Level.CLASS).values_list("code", flat=True))

    rows = make_rows(args.rows, args.seed, divisions, industries)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(rows)
    csv_bytes = buf.getvalue().encode("utf-8")
    csv_path = Path(tmp) / "enterprises.csv"
    csv_path.write_bytes(csv_bytes)

    results: list[tuple[str, float, float, int, float]] = []  # name, wall s, cpu s, rows, peak MB
    clock = {}

    def start():
        clock["wall"], clock["cpu"] = time.perf_counter(), time.process_time()

    def done(name, n):
        results.append(
            (name, time.perf_counter() - clock["wall"], time.process_time() - clock["cpu"], n, peak_mb())
        )

    def job_for(path: Path, commit: bool):
        with path.open("rb") as fh:
            return services.create_job("enterprises", fh, admin, commit=commit, filename=path.name)

    # 1. CSV dry run (validate + diff)
    job = job_for(csv_path, commit=False)
    start()
    job = services.run_job(job.pk)
    done("import_csv_validate", job.total_rows)
    assert job.status == "validated", (job.status, job.errors[:5])

    # 2. Commit that dry run (re-validates against the database, then writes all-or-nothing)
    start()
    job = services.commit_job(job, admin)
    done("import_csv_commit", job.total_rows)
    assert job.status == "committed", job.message
    assert Organization.objects.filter(kind="enterprise").count() == args.rows

    # 3. Re-import the same file: every row is an unchanged update (the diff path)
    job = job_for(csv_path, commit=False)
    start()
    job = services.run_job(job.pk)
    done("import_csv_revalidate_existing", job.total_rows)
    assert job.summary["counts"]["unchanged"] == args.rows, job.summary["counts"]

    # 4. xlsx validation (openpyxl read-only)
    if not args.no_xlsx:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(HEADER)
        for r in rows:
            ws.append(r)
        xlsx_path = Path(tmp) / "enterprises.xlsx"
        wb.save(xlsx_path)
        job = job_for(xlsx_path, commit=False)
        start()
        job = services.run_job(job.pk)
        done("import_xlsx_validate", job.total_rows)

    print(
        f"import benchmark: {args.rows} enterprise rows, SQLite, setup (migrate + reference) {setup_s:.1f}s"
    )
    print(f"{'step':<34}{'wall s':>9}{'cpu s':>9}{'rows':>9}{'rows/s':>9}{'peak MB':>9}")
    for name, wall, cpu, n, mb in results:
        print(f"{name:<34}{wall:>9.2f}{cpu:>9.2f}{n:>9}{n / wall if wall else 0:>9.0f}{mb:>9.0f}")
    print(
        f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall time includes waiting for the CPU)"
    )
    for name, wall, cpu, n, mb in results:
        print(f"RESULT name={name} seconds={wall:.2f} cpu_seconds={cpu:.2f} rows={n} peak_mb={mb:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

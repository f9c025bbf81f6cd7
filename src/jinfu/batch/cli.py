"""`jinfu batch features|JOB --engine polars|spark [--master …] --input … --output … [--to-db]`.

``features`` writes the enterprise feature table (the feature registry's loaders read the database on the
driver) to Parquet; every registered job (``match``, ``score``, ``risk``, ``green``, … from the modules)
reads its input (``--input PATH``, or ``--input db``: the feature table, or what the job's ``export``
writes from the database) and writes its results to Parquet.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from . import registry, runner


def add_verbs(sub) -> None:
    jobs = registry.jobs()
    p = sub.add_parser(
        "batch",
        help="批处理：特征表、批量匹配、评分、风险指数、绿色识别（Polars 或 Spark）/ batch jobs",
        description="\n".join(
            ["features: 企业特征表 / the enterprise feature table → Parquet"]
            + [f"{name}: {job.help}; input: {job.input_help}" for name, job in sorted(jobs.items())]
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("job", choices=["features", *sorted(jobs)])
    p.add_argument("--engine", choices=["polars", "spark"], default="polars")
    p.add_argument("--master", default="local[2]", help="Spark master: local[2] | spark://host:7077 | yarn")
    p.add_argument(
        "--input",
        default="db",
        help="输入 Parquet（文件或目录，见各作业说明），或 db（从数据库导出）/ the job's input, or db",
    )
    p.add_argument("--output", required=True, help="结果 Parquet / output Parquet (file or directory)")
    p.add_argument("--partitions", type=int, help="Spark 分区数 / repartition the input")
    p.add_argument("--to-db", action="store_true", help="结果写回数据库（每批一个事务）/ store results")
    p.set_defaults(func=cmd_batch)


def export_features(path: str) -> int:
    from jinfu.core.features import enterprise_features

    df = enterprise_features()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.write_parquet(path)
    return df.height


def cmd_batch(args) -> int:
    from jinfu.core.errors import JinfuError

    if args.job == "features":
        n = export_features(args.output)
        print(f"job=features rows={n} output={args.output}")
        return 0
    job = registry.get(args.job)
    if args.to_db and job.write is None:
        print(
            f"作业 {job.name} 的结果只写入 Parquet，不写回数据库 / job {job.name} writes Parquet only (no --to-db)",
            file=sys.stderr,
        )
        return 2
    try:
        with tempfile.TemporaryDirectory() as tmp:
            input_path = args.input
            if input_path == "db":
                input_path = str(Path(tmp) / f"{job.name}-input")
                (job.export or export_features)(input_path)
            res = runner.run(
                job,
                engine=args.engine,
                input_path=input_path,
                output_path=args.output,
                master=args.master,
                partitions=args.partitions,
                to_db=args.to_db,
            )
    except JinfuError as exc:
        print(f"{exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return 2
    print(
        f"job={res.job} engine={res.engine} rows_in={res.rows_in} rows_out={res.rows_out} "
        f"seconds={res.seconds:.2f} written={res.written} output={args.output}"
    )
    return 0

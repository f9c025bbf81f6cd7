"""Starting Spark from Python: Java 17 detection and one session per process.

Spark 4 runs on Java 17 or 21. ``JAVA_HOME`` wins when it points at a Java; otherwise the Debian package
``openjdk-17-jre-headless`` (/usr/lib/jvm/java-17-openjdk-*) is used, then the ``java`` on PATH. The Python
workers run the driver's interpreter (PYSPARK_PYTHON), so they import the same jinfu.
"""

from __future__ import annotations

import glob
import os
import shutil
import sys
from pathlib import Path

JVM_GLOBS = ("/usr/lib/jvm/java-17-openjdk-*", "/usr/lib/jvm/java-21-openjdk-*")


def _has_java(home: str | os.PathLike) -> bool:
    return (Path(home) / "bin" / "java").is_file()


def detect_java_home(environ: dict | None = None, globs=JVM_GLOBS) -> str | None:
    """The Java home Spark should use, or None when no Java is installed."""
    env = os.environ if environ is None else environ
    if env.get("JAVA_HOME") and _has_java(env["JAVA_HOME"]):
        return env["JAVA_HOME"]
    for pattern in globs:
        for home in sorted(glob.glob(pattern)):
            if _has_java(home):
                return home
    java = shutil.which("java", path=env.get("PATH"))
    return str(Path(java).resolve().parents[1]) if java else None


class SparkUnavailable(RuntimeError):
    pass


def session(master: str = "local[2]", app_name: str = "jinfu-batch", conf: dict | None = None):
    """The process's SparkSession (created on first use with this master; later calls reuse it)."""
    home = detect_java_home()
    if home is None:
        raise SparkUnavailable("未找到 Java 17 / no Java 17 found: apt-get install openjdk-17-jre-headless")
    os.environ["JAVA_HOME"] = home
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # the workers import jinfu from wherever the driver does (a source checkout or the installed package)
    src = str(Path(__file__).resolve().parents[2])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if src not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([src, *paths])
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "50000")
        .config("spark.sql.session.timeZone", "Asia/Shanghai")
        .config("spark.driver.memory", os.environ.get("JINFU_SPARK_DRIVER_MEMORY", "2g"))
    )
    for k, v in (conf or {}).items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark

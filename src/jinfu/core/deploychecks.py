"""`jinfu check --deploy`: Django's deployment checks plus ours (registered with the ``deploy`` flag)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.db import connection


@register("jinfu", deploy=True)
def jinfu_deploy_checks(app_configs=None, **kwargs):
    problems = []
    if settings.DEBUG:
        problems.append(Error("JINFU_DEBUG 已开启：生产环境必须关闭 / DEBUG is on", id="jinfu.E001"))
    key_file = Path(settings.DATA_DIR) / "secret_key"
    if not os.environ.get("JINFU_SECRET_KEY") and not key_file.is_file():
        problems.append(Error("未设置密钥 / no secret key (JINFU_SECRET_KEY)", id="jinfu.E002"))
    if (
        len(set(settings.SECRET_KEY)) < 5
        or len(settings.SECRET_KEY) < 50
        or "insecure" in settings.SECRET_KEY
    ):
        problems.append(Error("密钥过短或不安全 / weak secret key", id="jinfu.E003"))
    if key_file.is_file() and key_file.stat().st_mode & 0o077:
        problems.append(
            Error(
                f"密钥文件权限过宽：{key_file}（应为 600）/ secret key file is readable by others",
                id="jinfu.E004",
            )
        )
    hosts = [h for h in settings.ALLOWED_HOSTS if h and h != "testserver"]
    if not hosts or set(hosts) <= {"127.0.0.1", "localhost"} or "*" in hosts:
        problems.append(
            Error(
                "JINFU_ALLOWED_HOSTS 应为对外域名 / set JINFU_ALLOWED_HOSTS to the public host name",
                id="jinfu.E005",
            )
        )
    if connection.vendor != "postgresql":
        problems.append(
            Error("生产环境请使用 PostgreSQL（DATABASE_URL）/ production runs on PostgreSQL", id="jinfu.E006")
        )
    data = Path(settings.DATA_DIR)
    try:
        with tempfile.NamedTemporaryFile(dir=data):
            pass
    except OSError:
        problems.append(
            Error(f"数据目录不可写：{data} / the data directory is not writable", id="jinfu.E007")
        )
    if os.environ.get("JINFU_HTTPS") != "1":
        problems.append(Warning("未设置 JINFU_HTTPS=1：应在 TLS 之后运行 / not behind TLS", id="jinfu.W001"))
    return problems

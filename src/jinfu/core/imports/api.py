"""Import endpoints under /api/v1/imports/."""

from ninja import Router

router = Router(tags=["imports 数据导入"])

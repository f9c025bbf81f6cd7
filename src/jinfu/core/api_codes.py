"""Reference-code endpoints under /api/v1/codes/ (USCC, divisions, zones, industries, size class)."""

from ninja import Router

router = Router(tags=["codes 参考代码"])

"""Core endpoints: health, me, organizations, enterprise data under consent, grants, API keys."""

from ninja import Router

router = Router(tags=["core 基础"])

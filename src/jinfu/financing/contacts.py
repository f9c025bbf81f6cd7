"""Who to talk to (客户经理 on a product, the contact on a demand): cleaning the three fields and choosing
who sees them. A product's contact is for the enterprises that may apply (and its own institution); a
demand's contact is for the institution that claimed it, as the next step after 揭榜."""

from __future__ import annotations

import re

from jinfu.core.errors import ValidationFailed
from jinfu.core.text import clean_name

PHONE = re.compile(r"^\+?[0-9][0-9 \-()]{5,18}[0-9]$")


def clean_phone(value, *, field: str) -> str:
    phone = clean_name(value, field=field, label_zh="联系电话", label_en="phone")
    if phone and not PHONE.match(phone):
        raise ValidationFailed(
            "联系电话格式不正确（如 023-6388 1234 或 138 0000 0000）",
            f"{field}: {phone!r} is not a phone number (digits, spaces, hyphens, brackets, a leading +)",
            field=field,
        )
    return phone


def clean_contact(data: dict, *, prefix: str, branch: bool = True) -> dict:
    """``{prefix}_name``, ``{prefix}_phone`` (and ``{prefix}_branch``) from a form or payload, cleaned;
    a phone without a name (or a name without a phone) is refused, since neither helps alone."""
    out = {
        f"{prefix}_name": clean_name(data.get(f"{prefix}_name"), field=f"{prefix}_name", label_zh="联系人"),
        f"{prefix}_phone": clean_phone(data.get(f"{prefix}_phone"), field=f"{prefix}_phone"),
    }
    if branch:
        out[f"{prefix}_branch"] = clean_name(
            data.get(f"{prefix}_branch"), field=f"{prefix}_branch", label_zh="所属网点"
        )
    if bool(out[f"{prefix}_name"]) != bool(out[f"{prefix}_phone"]):
        missing = f"{prefix}_phone" if out[f"{prefix}_name"] else f"{prefix}_name"
        raise ValidationFailed(
            "联系人姓名和联系电话须同时填写",
            f"{missing} is required together with the other contact field",
            field=missing,
        )
    return out


def sees_product_contact(principal, product=None) -> bool:
    """The 客户经理 of a product: enterprises (who may apply), the product's own institution, the operator;
    not other institutions or offices. ``product=None``: for a list of many institutions' products."""
    own = product is not None and principal.org_id == product.institution_id
    return principal.is_admin or principal.role == "enterprise" or own

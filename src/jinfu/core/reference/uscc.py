"""Unified social credit code (统一社会信用代码), GB 32100-2015 — pure Python, no Django.

Structure (18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY``, i.e. without I, O, S, V, Z):

* position 1: registration authority (登记管理部门码); 2: organization type (机构类别码);
* positions 3-8: administrative division of the registering authority (GB/T 2260);
* positions 9-17: organization code (主体标识码, GB 11714), whose 9th character is its own check digit;
* position 18: check digit (GB/T 17710 style, mod 31) over positions 1-17.

Check digit (GB 32100-2015): weights W_i = 3^(i-1) mod 31 for i = 1..17, i.e.
``1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28``; C18 = 31 - (Σ value_i × W_i mod 31), where 31 maps to 0 and a
character's value is its index in the charset above.

Organization code (GB 11714-1997): weights ``3 7 9 10 5 8 4 2`` over the 8 body characters, value = index in
``0-9A-Z`` (A=10 … Z=35); C9 = 11 - (Σ mod 11), with 10 → 'X' and 11 → '0'. Verified with the search tool (code
corpus) in two independent public implementations: liujianko/HAODA ``checkOrganization.js.bak`` (``ws = [3,7,9,10,5,
8,4,2]``, ``c9 = 11 - (sum % 11)``, 11 → '0', 10 → 'X', and the USCC weights ``[1,3,9,27,19,26,16,17,20,29,25,13,8,24,
10,30,28]``) and QiaoRongrong/wishdemo ``orgcode/ValidateUtils.java`` (same weights and mapping).

Authority and type tables (GB 32100-2015 附录 / 2016 第1号修改单 as commonly reproduced), verified with the search tool
(pages corpus, e.g. https://blog.csdn.net/lh1424573495/article/details/108776492 and https://osuse.cn/post/10002590.html):
1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商, A 中央军委改革和编制办公室, N 农业, Y 其他.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

ORG_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Position 1 → (name, {position 2 → type name})
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商（市场监管）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他（不再具体划分机构类别）"}),
}


@dataclass(frozen=True)
class UsccResult:
    input: str
    code: str
    valid: bool
    reason_code: str | None = None
    reason_zh: str = ""
    reason_en: str = ""
    authority_code: str | None = None
    authority_name: str | None = None
    org_type_code: str | None = None
    org_type_name: str | None = None
    division_code: str | None = None
    organization_code: str | None = None
    expected_check_digit: str | None = None


def uscc_check_digit(first17: str) -> str:
    """The 18th character for the given first 17 characters (all from ``CHARSET``)."""
    if len(first17) != 17:
        raise ValueError("uscc_check_digit needs exactly 17 characters")
    try:
        total = sum(_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the USCC charset") from None
    return CHARSET[(31 - total % 31) % 31]


def orgcode_check_digit(first8: str) -> str:
    """GB 11714 check character for an 8-character organization-code body."""
    if len(first8) != 8:
        raise ValueError("orgcode_check_digit needs exactly 8 characters")
    values = []
    for c in first8:
        v = ORG_CHARSET.find(c)
        if v < 0:
            raise ValueError(f"character {c!r} is not allowed in an organization code")
        values.append(v)
    c9 = 11 - sum(v * w for v, w in zip(values, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def _fail(raw: str, code: str, reason: str, zh: str, en: str, **parts) -> UsccResult:
    return UsccResult(
        input=raw, code=code, valid=False, reason_code=reason, reason_zh=zh, reason_en=en, **parts
    )


def validate_uscc(raw: str) -> UsccResult:
    """Validate a USCC; input is trimmed and upper-cased. Never raises for bad input: see ``reason_code``.

    reason codes: ``empty``, ``length``, ``charset``, ``authority``, ``org_type``, ``division``, ``orgcode_check``,
    ``check_digit``.
    """
    raw = "" if raw is None else str(raw)
    code = raw.strip().upper()
    if not code:
        return _fail(raw, code, "empty", "统一社会信用代码为空", "The code is empty")
    if len(code) != 18:
        return _fail(
            raw,
            code,
            "length",
            f"长度应为18位，实际为{len(code)}位",
            f"Must be 18 characters long, got {len(code)}",
        )
    for pos, ch in enumerate(code, start=1):
        allowed = "0123456789" if 3 <= pos <= 8 else CHARSET
        if ch not in allowed:
            what = "数字" if 3 <= pos <= 8 else "0-9及大写字母（不含I、O、S、V、Z）"
            return _fail(
                raw,
                code,
                "charset",
                f"第{pos}位字符“{ch}”不合法，该位只允许{what}",
                f"Illegal character {ch!r} at position {pos}",
            )
    auth, typ = code[0], code[1]
    parts = {"division_code": code[2:8], "organization_code": code[8:17]}
    if auth not in AUTHORITIES:
        return _fail(
            raw,
            code,
            "authority",
            f"第1位登记管理部门码“{auth}”未在GB 32100中定义",
            f"Unknown registration authority {auth!r} at position 1",
            **parts,
        )
    auth_name, types = AUTHORITIES[auth]
    parts.update(authority_code=auth, authority_name=auth_name)
    if typ not in types:
        return _fail(
            raw,
            code,
            "org_type",
            f"第2位机构类别码“{typ}”不属于登记管理部门“{auth_name}”的类别",
            f"Organization type {typ!r} is not defined for authority {auth!r}",
            **parts,
        )
    parts.update(org_type_code=typ, org_type_name=types[typ])
    org_expected = orgcode_check_digit(code[8:16])
    if code[16] != org_expected:
        return _fail(
            raw,
            code,
            "orgcode_check",
            f"第9-17位组织机构代码校验位错误：应为“{org_expected}”，实际为“{code[16]}”",
            f"Organization-code check character (position 17) should be {org_expected!r}, got {code[16]!r}",
            **parts,
        )
    expected = uscc_check_digit(code[:17])
    parts["expected_check_digit"] = expected
    if code[17] != expected:
        return _fail(
            raw,
            code,
            "check_digit",
            f"第18位校验码错误：应为“{expected}”，实际为“{code[17]}”",
            f"Check digit (position 18) should be {expected!r}, got {code[17]!r}",
            **parts,
        )
    return UsccResult(input=raw, code=code, valid=True, reason_zh="校验通过", reason_en="Valid", **parts)


def generate_uscc(division_code: str, rng: random.Random, authority: str = "9", org_type: str = "1") -> str:
    """A syntactically valid USCC (both check characters right) for demo data; not a real registration."""
    if authority not in AUTHORITIES or org_type not in AUTHORITIES[authority][1]:
        raise ValueError(f"unknown authority/type {authority}{org_type}")
    if len(division_code) != 6 or not division_code.isdigit():
        raise ValueError("division_code must be 6 digits")
    # Body characters common to both charsets (USCC excludes I, O, S, V, Z).
    body = "".join(rng.choice(CHARSET) for _ in range(8))
    org = body + orgcode_check_digit(body)
    if org[-1] not in CHARSET:  # pragma: no cover - 'X' and digits are always in CHARSET
        raise AssertionError(org)
    first17 = authority + org_type + division_code + org
    return first17 + uscc_check_digit(first17)

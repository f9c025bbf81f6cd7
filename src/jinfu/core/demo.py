"""Synthetic demo data: reproducible by seed, any scale, every record flagged `is_synthetic`.

Enterprises get valid USCCs in Chongqing divisions (GB 32100 check digits), a realistic
division and industry mix, and financials correlated with headcount and industry. They are
written through the same path as a file import (`apply_enterprise_records`), so demo data obeys
the import's rules and running the generator twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Division, Grant, Industry, Organization, Purpose, Role, Scope, User
from .modules import DemoContext, demo_steps, reference_loaders, resolve
from .reference.uscc import generate_uscc
from .services import create_user

# Relative weight of each district/county in the synthetic enterprise population (a rough picture
# of where Chongqing's market entities are; synthetic, not a statistic).
DIVISION_WEIGHTS = {
    "500112": 12,
    "500107": 9,
    "500103": 8,
    "500105": 8,
    "500106": 7,
    "500108": 7,
    "500113": 5,
    "500109": 4,
    "500116": 5,
    "500102": 4,
    "500101": 4,
    "500118": 4,
    "500117": 3,
    "500120": 3,
    "500104": 2,
    "500115": 2,
}
OTHER_DIVISION_WEIGHT = 1

# GB/T 4754-2017 divisions (大类) with their weight and revenue per employee (万元, median).
INDUSTRY_MIX = [
    ("13", 2, 120),
    ("14", 1, 90),
    ("26", 2, 150),
    ("27", 1, 110),
    ("30", 2, 80),
    ("33", 3, 70),
    ("34", 3, 70),
    ("35", 2, 80),
    ("36", 4, 120),
    ("38", 3, 90),
    ("39", 3, 100),
    ("40", 1, 60),
    ("44", 1, 200),
    ("47", 2, 50),
    ("48", 2, 60),
    ("50", 2, 45),
    ("51", 12, 180),
    ("52", 10, 60),
    ("54", 3, 40),
    ("59", 1, 50),
    ("61", 1, 15),
    ("62", 3, 18),
    ("64", 2, 60),
    ("65", 7, 35),
    ("74", 1, 30),
    ("70", 2, 220),
    ("71", 2, 40),
    ("72", 5, 35),
    ("73", 2, 30),
    ("75", 4, 30),
    ("77", 1, 30),
    ("78", 1, 25),
    ("80", 2, 15),
    ("01", 1, 18),
    ("03", 1, 25),
    ("87", 1, 20),
]
CAPITAL_STEPS = [10, 30, 50, 100, 200, 300, 500, 800, 1000, 2000, 3000, 5000, 10000, 20000]
NAME_STEMS = (
    "瑞泰华鑫恒达盛远宏博信诚嘉禾德润锦程天成永安聚力新源汇通云帆智创中科金桥长嘉两江巴渝山城渝新西创"
)
SECTION_WORDS = {
    "A": ["农业", "生态农业"],
    "B": ["矿业"],
    "C": ["科技", "机械", "电子", "新材料", "制造"],
    "D": ["能源"],
    "E": ["建设工程", "建筑"],
    "F": ["商贸", "贸易"],
    "G": ["物流", "运输"],
    "H": ["餐饮", "酒店管理"],
    "I": ["信息技术", "软件", "网络科技"],
    "K": ["置业", "物业管理"],
    "L": ["商务咨询", "企业管理"],
    "M": ["科技", "技术服务"],
    "N": ["环保科技"],
    "O": ["家政服务"],
    "R": ["文化传媒"],
}
DEMO_END = dt.date(2025, 12, 31)  # fixed so the same seed gives the same data on any day


@dataclass
class DemoResult:
    enterprises: dict = field(default_factory=dict)
    institutions: dict = field(default_factory=dict)
    logins: list = field(default_factory=list)


def _weighted(rng: random.Random, items: list, weights: list):
    return rng.choices(items, weights=weights, k=1)[0]


def _company_name(rng: random.Random, division_name: str, section: str, used: set) -> str:
    short = division_name.replace("区", "").replace("县", "").replace("自治", "")[:2]
    for _ in range(50):
        stem = "".join(rng.sample(NAME_STEMS, 2))
        word = rng.choice(SECTION_WORDS.get(section, ["实业"]))
        name = f"重庆{stem}{word}有限公司" if rng.random() < 0.7 else f"重庆市{short}{stem}{word}有限公司"
        if name not in used:
            used.add(name)
            return name
    name = f"重庆{rng.randrange(10**6):06d}实业有限公司"
    used.add(name)
    return name


def enterprise_records(n: int, seed: int) -> list[dict]:
    """n synthetic enterprise rows in the import's record format (deterministic for a seed)."""
    from faker import Faker

    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    divisions = list(Division.objects.filter(level=Division.Level.COUNTY).values_list("code", "name"))
    div_codes = [c for c, _ in divisions]
    div_names = dict(divisions)
    div_weights = [DIVISION_WEIGHTS.get(c, OTHER_DIVISION_WEIGHT) for c in div_codes]
    classes_by_division: dict[str, list[str]] = {}
    section_of: dict[str, str] = {}
    for code, section in Industry.objects.filter(level=Industry.Level.CLASS).values_list("code", "section"):
        classes_by_division.setdefault(code[:2], []).append(code)
        section_of[code] = section
    mix = [m for m in INDUSTRY_MIX if m[0] in classes_by_division]
    used_names: set[str] = set()
    used_uscc: set[str] = set()
    rows = []
    for i in range(n):
        division = "500103" if i == 0 else _weighted(rng, div_codes, div_weights)
        ind_div, _, productivity = ("65", 0, 35) if i == 0 else _weighted(rng, mix, [m[1] for m in mix])
        industry = rng.choice(sorted(classes_by_division[ind_div]))
        employees = max(1, int(math.exp(rng.gauss(math.log(18), 1.15))))
        revenue = employees * productivity * math.exp(rng.gauss(0, 0.6))
        assets = revenue * math.exp(rng.gauss(0, 0.5)) * (4.0 if ind_div == "70" else 0.9)
        cap_target = max(10.0, min(20000.0, revenue * 0.3 * math.exp(rng.gauss(0, 0.7))))
        capital = min(CAPITAL_STEPS, key=lambda s: abs(math.log(s) - math.log(cap_target)))
        paid_ratio = rng.choice([0, 0.2, 0.5, 1, 1, 1])
        established = DEMO_END - dt.timedelta(days=int(rng.random() * 27 * 365))
        while True:
            uscc = generate_uscc(division, rng)
            if uscc not in used_uscc:
                used_uscc.add(uscc)
                break
        rows.append(
            {
                "uscc": uscc,
                "name": _company_name(rng, div_names[division], section_of[industry], used_names),
                "legal_representative": fake.name(),
                "legal_rep_id_number": fake.ssn(),
                "registered_capital": Decimal(capital).quantize(Decimal("0.01")),
                "paid_in_capital": Decimal(capital * paid_ratio).quantize(Decimal("0.01")),
                "established_on": established,
                "division": division,
                "zone": None,
                "industry": industry,
                "employees": employees,
                "revenue": Decimal(revenue).quantize(Decimal("0.01")),
                "total_assets": Decimal(assets).quantize(Decimal("0.01")),
                "address": f"重庆市{div_names[division]}{fake.street_name()}{rng.randint(1, 999)}号",
                "contact_phone": fake.phone_number(),
            }
        )
    return rows


BANKS = ["渝商银行", "嘉陵商业银行", "巴渝农村商业银行", "长江发展银行"]
OTHER_INSTITUTIONS = [
    ("guarantee", "两江融资担保有限公司", "融资担保业务经营许可证"),
    ("guarantee", "山城科技融资担保有限公司", "融资担保业务经营许可证"),
    ("insurer", "西部财产保险股份有限公司重庆分公司", "保险许可证"),
    ("insurer", "渝信科技保险股份有限公司重庆分公司", "保险许可证"),
    ("fund_manager", "长嘉汇创业投资基金管理有限公司", "私募基金管理人登记"),
    ("fund_manager", "科学城天使投资基金管理有限公司", "私募基金管理人登记"),
    ("leasing", "重庆江岸融资租赁有限公司", ""),
    ("factoring", "重庆链融商业保理有限公司", ""),
    ("microloan", "渝中瑞丰小额贷款有限公司", "小额贷款公司经营许可"),
    ("microloan", "江北嘉汇网络小额贷款有限公司", "小额贷款公司经营许可"),
]
SUB_BRANCH_DIVISIONS = ["500103", "500105", "500112", "500107", "500106", "500108"]


def institution_records(seed: int) -> list[dict]:
    rng = random.Random(seed + 1)
    names = dict(Division.objects.values_list("code", "name"))
    rows = []
    for bank in BANKS:
        hq = generate_uscc("500000", rng)
        rows.append(
            {
                "uscc": hq,
                "name": f"{bank}股份有限公司",
                "institution_type": "bank",
                "license_type": "金融许可证",
                "license_number": f"B{rng.randrange(10**7):07d}H",
                "level": "hq",
                "parent": None,
                "division": "500103",
                "address": "重庆市渝中区解放碑",
            }
        )
        branch = generate_uscc("500103", rng)
        rows.append(
            {
                "uscc": branch,
                "name": f"{bank}股份有限公司重庆分行",
                "institution_type": "bank",
                "license_type": "金融许可证",
                "license_number": f"B{rng.randrange(10**7):07d}B",
                "level": "branch",
                "parent": hq,
                "division": "500103",
                "address": "重庆市渝中区民族路",
            }
        )
        for div in rng.sample(SUB_BRANCH_DIVISIONS, 2):
            rows.append(
                {
                    "uscc": generate_uscc(div, rng),
                    "name": f"{bank}股份有限公司重庆{names[div]}支行",
                    "institution_type": "bank",
                    "license_type": "金融许可证",
                    "license_number": f"B{rng.randrange(10**7):07d}S",
                    "level": "sub_branch",
                    "parent": branch,
                    "division": div,
                    "address": f"重庆市{names[div]}",
                }
            )
    for kind, name, license_type in OTHER_INSTITUTIONS:
        div = rng.choice(SUB_BRANCH_DIVISIONS)
        rows.append(
            {
                "uscc": generate_uscc(div, rng),
                "name": name,
                "institution_type": kind,
                "license_type": license_type,
                "license_number": "",
                "level": "hq",
                "parent": None,
                "division": div,
                "address": f"重庆市{names[div]}",
            }
        )
    return rows


GOVERNMENT_ORGS = [
    # (key, kind, name, division)
    ("gov_city", Organization.Kind.GOVERNMENT, "重庆市地方金融管理部门（示例账户）", "500000"),
    ("gov_yuzhong", Organization.Kind.GOVERNMENT, "渝中区金融工作部门（示例账户）", "500103"),
    (
        "risk_yuzhong",
        Organization.Kind.GOVERNMENT,
        "渝中区防范和处置非法集资工作办公室（示例账户）",
        "500103",
    ),
    ("street_jfb", Organization.Kind.STREET, "渝中区解放碑街道网格（示例账户）", "500103"),
    ("sector_yuzhong", Organization.Kind.SECTOR, "渝中区商务委员会（示例账户）", "500103"),
]
#: the demo sector office's industries (GB/T 4754 门类): 批发和零售业, 住宿和餐饮业, 租赁和商务服务业
DEMO_SECTOR_INDUSTRIES = ["F", "H", "L"]


def _logins_file():
    return settings.DATA_DIR / "demo_logins.json"


def _demo_password(store: dict, username: str) -> str:
    if username not in store:
        store[username] = f"Jf-{secrets.token_urlsafe(9)}"
    return store[username]


def build_demo(*, enterprises: int = 3000, seed: int = 20261122, stdout=None) -> DemoResult:
    """Load reference data and the synthetic dataset; idempotent for the same seed and size."""
    from .imports.services import apply_enterprise_records, apply_institution_records
    from .reference.loader import load_reference_data

    out = stdout.write if stdout else (lambda s: None)
    load_reference_data(stdout=stdout)
    for loader in reference_loaders():
        resolve(loader)(stdout=stdout)
    result = DemoResult()
    out(f"生成示例企业 {enterprises} 家 / generating {enterprises} synthetic enterprises (seed {seed})…\n")
    result.institutions = apply_institution_records(institution_records(seed), synthetic=True)
    result.enterprises = apply_enterprise_records(enterprise_records(enterprises, seed), synthetic=True)
    out(f"  金融机构 institutions: {result.institutions}\n  企业 enterprises: {result.enterprises}\n")

    orgs = {}
    with transaction.atomic():
        for key, kind, name, division in GOVERNMENT_ORGS:
            industries = DEMO_SECTOR_INDUSTRIES if kind == Organization.Kind.SECTOR else []
            orgs[key], _ = Organization.objects.get_or_create(
                name=name,
                kind=kind,
                defaults={"division_id": division, "is_synthetic": True, "industries": industries},
            )
        first = enterprise_records(1, seed)[0]
        orgs["enterprise"] = Organization.objects.get(uscc=first["uscc"])
        orgs["bank"] = (
            Organization.objects.filter(
                kind=Organization.Kind.INSTITUTION,
                institution__level="branch",
                division_id="500103",
                is_synthetic=True,
            )
            .order_by("name")
            .first()
            or Organization.objects.filter(kind=Organization.Kind.INSTITUTION).order_by("name").first()
        )

        path = _logins_file()
        store = json.loads(path.read_text()) if path.exists() else {}
        accounts = [
            ("demo_enterprise", Role.ENTERPRISE, orgs["enterprise"], "企业财务负责人"),
            ("demo_bank", Role.INSTITUTION, orgs["bank"], "银行客户经理"),
            ("demo_gov", Role.GOVERNMENT, orgs["gov_yuzhong"], "区金融办工作人员"),
            ("demo_gov_city", Role.GOVERNMENT, orgs["gov_city"], "市级金融管理人员"),
            ("demo_regulator", Role.REGULATOR, orgs["risk_yuzhong"], "处非办工作人员"),
            ("demo_sector", Role.SECTOR, orgs["sector_yuzhong"], "区商务委工作人员"),
            ("demo_street", Role.STREET, orgs["street_jfb"], "街道网格员"),
            ("demo_admin", Role.ADMIN, None, "平台管理员"),
        ]
        for username, role, org, display in accounts:
            password = _demo_password(store, username)
            user = User.objects.filter(username=username).first()
            if user is None:
                user = create_user(
                    username=username, password=password, role=role, organization=org, display_name=display
                )
            elif not user.check_password(password):
                user.set_password(password)
                user.save(update_fields=["password"])
            result.logins.append((role, username, password, org.name if org else "—"))
        path.write_text(json.dumps(store, ensure_ascii=False, indent=2))
        path.chmod(0o600)

        if not Grant.objects.filter(enterprise=orgs["enterprise"], grantee=orgs["bank"]).exists():
            now = timezone.now()
            Grant.objects.create(
                enterprise=orgs["enterprise"],
                grantee=orgs["bank"],
                scopes=[Scope.BASIC, Scope.FINANCIALS],
                purpose=Purpose.LOAN_APPLICATION,
                purpose_note="示例：流动资金贷款申请",
                granted_at=now,
                expires_at=now + dt.timedelta(days=90),
                granted_by=User.objects.get(username="demo_enterprise"),
            )
    ctx = DemoContext(seed=seed, stdout=stdout, orgs=orgs)
    for step in demo_steps():
        resolve(step)(ctx)
    return result


def print_logins(result: DemoResult, *, host: str, port: int, stdout) -> None:
    stdout.write("\n示例账户（示例数据，仅供演示） / demo logins (synthetic data):\n")
    stdout.write(f"  {'角色 role':<14}{'用户名 username':<20}{'密码 password':<18}组织 organization\n")
    for role, username, password, org in result.logins:
        stdout.write(f"  {role:<14}{username:<20}{password:<18}{org}\n")
    stdout.write(f"\n打开 / open http://{host}:{port}/accounts/login/\n")

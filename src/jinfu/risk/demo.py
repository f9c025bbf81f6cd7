"""Synthetic risk signals for the demo (示例数据), in the demo regulator's district (渝中区), with patterns
that make every colour show:

* a ring of six firms sharing one legal representative, advertising 保本保息 and 12–18% a year, with
  complaints and a bank fund-flow alert — the loudest is red, the rest yellow, raised by the network;
* a firm with 理财 in its business scope (《防范和处置非法集资条例》 Art. 9) advertising 8% — yellow;
* a firm promoting 元宇宙 and 虚拟货币 with 12345 records — yellow;
* ordinary marketing and a stray complaint on other firms — green;
* five local financial organizations (地方金融组织): a guarantee firm at 12.5× leverage (over the 10× of
  《融资担保公司监督管理条例》第十五条), a 失联 microloan company (no report, address unreachable), a 空壳 pawn shop
  (no tax, no social insurance, no business), a leasing and a factoring company in order;
* a routing table (only when none was entered) that sends 批发零售、住宿餐饮、租赁商务 firms to the demo 区商务委
  and 解放碑街道 to the demo street grid, and a case on the 空壳 pawn shop with a task for the street grid to
  check its premises — what ``demo_street`` works after logging in.

Idempotent: signals are added once (a synthetic batch marks them); the index is recomputed every run.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from jinfu.core.models import Organization

from . import services
from .models import Party, RegistrationInfo, Signal, SignalBatch

DISTRICT = "500103"
SOURCE = "示例数据"
RING_REP = "示例法定代表人甲"
RING_ADS = [
    "保本保息，年化收益{r}%，养老无忧，名额有限",
    "原始股内部认购，高额回报，年化{r}%，稳赚不赔",
    "养老公寓项目，签约即享年化{r}%固定收益",
]
ORDINARY_ADS = [
    "新店开业，欢迎惠顾",
    "承接软件开发与信息系统集成",
    "诚聘销售代表若干名",
    "社区便民服务，诚信经营",
]


def _firms(n: int) -> list[Organization]:
    qs = Organization.objects.filter(
        kind=Organization.Kind.ENTERPRISE, division_id=DISTRICT, is_synthetic=True
    )
    return list(qs.order_by("pk")[1 : n + 1])  # the first is the demo enterprise's own login: left alone


def build_risk_demo(seed: int, stdout=None) -> dict[str, int]:
    out = stdout.write if stdout else (lambda s: None)
    if not SignalBatch.objects.filter(is_synthetic=True).exists():
        firms = _firms(40)
        if len(firms) < 12:
            out("风险示例：渝中区示例企业不足，跳过 / risk demo: too few enterprises, skipped\n")
            return {}
        with transaction.atomic():
            _signals(firms, random.Random(seed), timezone.localdate())
    counts = services.recompute()
    _demo_routing()
    n_cases = _demo_cases()
    n_local = _demo_local_finance(random.Random(seed))
    n_cases += _demo_office_case()
    out(
        f"风险监测示例 risk demo: 红色 {counts['red']}，黄色 {counts['yellow']}，绿色 {counts['green']}；"
        f"案件 cases {n_cases}；地方金融组织 local finance orgs {n_local}\n"
    )
    return counts


def _demo_cases() -> int:
    """One case in each state on the flagged firms (the operator's hand: the demo has no analyst session)."""
    from jinfu.core import workflow
    from jinfu.core.principal import Principal

    from . import cases
    from .models import Case, RiskScore

    if Case.objects.filter(is_synthetic=True).exists():
        return Case.objects.filter(is_synthetic=True).count()
    op = Principal(organization=None, role="admin")
    flagged = list(
        RiskScore.objects.filter(enterprise__is_synthetic=True, enterprise__division_id=DISTRICT)
        .exclude(colour="green")
        .select_related("enterprise")
        .order_by("-index")[:4]
    )
    paths = ([], ["verify"], ["verify", "decide"], ["verify", "decide", "close"])
    with transaction.atomic():
        for score, path in zip(flagged, paths, strict=False):
            case = cases._open(
                op,
                enterprise=score.enterprise,
                subject=score.enterprise.name,
                source="warning",
                synthetic=True,
            )
            for action in path:
                params = (
                    {"outcome": "rectify", "reason": "示例：约谈后责令停止宣传并整改"}
                    if action == "decide"
                    else {}
                )
                workflow.apply(cases.CASES, case.pk, action, op, note="示例数据", **params)
    return len(flagged)


SECTOR_OFFICE = "渝中区商务委员会（示例账户）"  # core/demo.py GOVERNMENT_ORGS
STREET_OFFICE = "渝中区解放碑街道网格（示例账户）"


def _demo_routing() -> None:
    """The demo routing table, only when no table was entered (never overwrites a regulator's)."""
    from .models import RoutingRule

    if RoutingRule.objects.exists():
        return
    rules = [("industry", section, SECTOR_OFFICE) for section in ("F", "H", "L")]
    rules.append(("street", "解放碑街道", STREET_OFFICE))
    RoutingRule.objects.bulk_create([RoutingRule(kind=k, match=m, target=t) for k, m, t in rules])


def _demo_office_case() -> int:
    """A case on the 空壳 pawn shop, routed to the street grid, with a task to check its premises (示例数据)."""
    from jinfu.core.principal import Principal
    from jinfu.core.reference import workdays

    from . import cases
    from .models import Case, CaseTask, LocalFinanceOrg

    pawn = (
        LocalFinanceOrg.objects.filter(is_synthetic=True, kind="pawn").select_related("organization").first()
    )
    if pawn is None or Case.objects.filter(enterprise=pawn.organization).exists():
        return 0
    op = Principal(organization=None, role="admin")
    with transaction.atomic():
        case = cases._open(
            op,
            enterprise=pawn.organization,
            subject=pawn.organization.name,
            source="manual",
            summary="示例：典当行无纳税、无社保、无业务，疑似空壳机构，请街镇网格核实经营场所。",
            synthetic=True,
        )
        if case.street_office:
            CaseTask.objects.create(
                case=case,
                party="street",
                office=case.street_office,
                title="示例：上门核实经营场所是否仍在经营",
                due=workdays.add_workdays(timezone.localdate(), 5, estimate=True),
                is_synthetic=True,
            )
    return 1


# name, kind, registry fields, latest report (万元) or None (never reported)
LOCAL_ORGS = (
    (
        "重庆示例渝信融资担保有限公司",
        "guarantee",
        {"licence_number": "渝示例担保001", "serves_small_micro": False},
        {
            "net_assets": 10000,
            "total_assets": 16000,
            "paid_in_capital": 10000,
            "guarantee_balance": 125000,
            "top_client_balance": 800,
            "top_client_group_balance": 1200,
            "tax_paid": 160,
            "insured_staff": 24,
        },
    ),
    (
        "重庆示例两江小额贷款有限公司",
        "microloan",
        {"licence_number": "渝示例小贷017", "address_reachable": False},
        None,
    ),
    (
        "重庆示例解放碑典当有限责任公司",
        "pawn",
        {"licence_number": "示例典当023"},
        {
            "net_assets": 1000,
            "total_assets": 1000,
            "paid_in_capital": 1000,
            "loan_balance": 0,
            "tax_paid": 0,
            "insured_staff": 0,
        },
    ),
    (
        "重庆示例山城融资租赁有限公司",
        "leasing",
        {"licence_number": "示例租赁008"},
        {
            "net_assets": 30000,
            "total_assets": 150000,
            "paid_in_capital": 20000,
            "lease_assets": 110000,
            "cash_and_treasuries": 10000,
            "tax_paid": 900,
            "insured_staff": 45,
            "small_micro_share": 55,
        },
    ),
    (
        "重庆示例朝天门商业保理有限公司",
        "factoring",
        {"licence_number": "示例保理012"},
        {
            "net_assets": 12000,
            "total_assets": 40000,
            "paid_in_capital": 10000,
            "tax_paid": 210,
            "insured_staff": 16,
            "small_micro_share": 72,
        },
    ),
)
OFFICERS = [
    {"name": "示例董事长", "role": "董事长"},
    {"name": "示例总经理", "role": "总经理"},
    {"name": "示例财务负责人", "role": "财务负责人"},
]


def _demo_local_finance(rng: random.Random) -> int:
    """The local financial organizations of the demo district with their latest quarterly report (示例数据)."""
    from jinfu.core.reference.uscc import generate_uscc

    from . import supervision
    from .models import LocalFinanceOrg, OrgReport

    if LocalFinanceOrg.objects.filter(is_synthetic=True).exists():
        return LocalFinanceOrg.objects.filter(is_synthetic=True).count()
    today = timezone.localdate()
    period = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - dt.timedelta(days=1)
    with transaction.atomic():
        batch = _batch(SignalBatch.Kind.ORG_REPORT)
        for name, kind, fields, report in LOCAL_ORGS:
            uscc = generate_uscc(DISTRICT, rng)
            while Organization.objects.filter(uscc=uscc).exists():
                uscc = generate_uscc(DISTRICT, rng)
            org = Organization.objects.create(
                kind=Organization.Kind.INSTITUTION,
                name=name,
                uscc=uscc,
                division_id=DISTRICT,
                address="重庆市渝中区解放碑街道示例路1号",
                is_synthetic=True,
            )
            local = supervision.register(
                org,
                kind=kind,
                registered_capital=report["paid_in_capital"] if report else 5000,
                paid_in_capital=report["paid_in_capital"] if report else 5000,
                officers=OFFICERS,
                is_synthetic=True,
                **fields,
            )
            if report:
                OrgReport.objects.create(
                    org=local, period_end=period, batch=batch, is_synthetic=True, **report
                )
        batch.rows = sum(1 for *_x, r in LOCAL_ORGS if r)
        batch.save(update_fields=["rows"])
    return len(LOCAL_ORGS)


def _batch(kind: str) -> SignalBatch:
    return SignalBatch.objects.create(kind=kind, source=SOURCE, is_synthetic=True)


def _signals(firms: list[Organization], rng: random.Random, today: dt.date) -> None:
    reg, pub, comp, hot, bank = (
        _batch("registration"),
        _batch("public_text"),
        _batch("complaint"),
        _batch("hotline"),
        _batch("bank_alert"),
    )
    sig: list[Signal] = []

    def add(org, kind, text, batch, days, **kw):
        sig.append(
            Signal(
                enterprise=org,
                kind=kind,
                text=text,
                batch=batch,
                occurred_on=today - dt.timedelta(days=days),
                is_synthetic=True,
                **kw,
            )
        )

    ring, scope_firm, meta_firm, others = firms[:6], firms[6], firms[7], firms[8:]
    for i, org in enumerate(ring):
        Party.objects.get_or_create(
            enterprise=org, kind=Party.Kind.LEGAL_REP, value=RING_REP, defaults={"batch": reg}
        )
        rate = 18 if i == 0 else 12 + i
        n_ads = 40 if i == 0 else 8
        for k in range(n_ads):
            add(
                org,
                Signal.Kind.PUBLIC_TEXT,
                RING_ADS[k % 3].format(r=rate),
                pub,
                rng.randint(1, 200),
                channel="ad",
            )
        for _ in range(10 if i == 0 else 2):
            add(org, Signal.Kind.COMPLAINT, "承诺的收益到期未兑付，要求退还本金", comp, rng.randint(1, 120))
    Party.objects.get_or_create(
        enterprise=ring[0], kind=Party.Kind.ACCOUNT, value="5001000000000001", defaults={"batch": reg}
    )
    add(
        ring[0],
        Signal.Kind.BANK_ALERT,
        "大量个人小额转入：860 笔，412 万元",
        bank,
        15,
        channel="small_inflows",
    )
    add(ring[0], Signal.Kind.BANK_ALERT, "资金快进快出：当日转出 95%", bank, 14, channel="rapid_outflow")

    RegistrationInfo.objects.update_or_create(
        enterprise=scope_firm, defaults={"business_scope": "投资理财咨询；企业管理咨询", "batch": reg}
    )
    add(scope_firm, Signal.Kind.REGISTRATION_CHANGE, "经营范围变更：增加投资理财咨询", reg, 60)
    for _ in range(12):
        add(
            scope_firm,
            Signal.Kind.PUBLIC_TEXT,
            "专业理财规划，年化8%稳健收益",
            pub,
            rng.randint(1, 300),
            channel="web",
        )
    for _ in range(4):
        add(scope_firm, Signal.Kind.COMPLAINT, "电话推销理财产品", comp, rng.randint(1, 200))

    for _ in range(10):
        add(
            meta_firm,
            Signal.Kind.PUBLIC_TEXT,
            "元宇宙数字藏品、虚拟货币挖矿，年化10%",
            pub,
            rng.randint(1, 200),
            channel="app",
        )
    for k in range(5):
        add(
            meta_firm,
            Signal.Kind.HOTLINE,
            "市民反映该公司推销虚拟货币投资",
            hot,
            rng.randint(1, 200),
            channel=f"12345 DEMO{k:04d}",
        )

    for org in others:
        for _ in range(rng.randint(0, 3)):
            add(
                org, Signal.Kind.PUBLIC_TEXT, rng.choice(ORDINARY_ADS), pub, rng.randint(1, 300), channel="ad"
            )
        if rng.random() < 0.2:
            add(org, Signal.Kind.COMPLAINT, "售后服务不及时", comp, rng.randint(1, 300))
    Signal.objects.bulk_create(sig, batch_size=2000)
    for b in (reg, pub, comp, hot, bank):
        SignalBatch.objects.filter(pk=b.pk).update(rows=Signal.objects.filter(batch=b).count())


def demo_step(ctx) -> None:
    build_risk_demo(seed=ctx.seed, stdout=ctx.stdout)

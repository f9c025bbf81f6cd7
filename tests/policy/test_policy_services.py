"""Policy fulfillment: benefit formulas on hand-computed cases, rule validation, claims and their
workflow (deadline, double benefit, publicity with objections, payout), budget (including a concurrent
race), permissions, the proactive push batch and Chinese full-text search."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import polars as pl
import pytest
from django.db import connection

from jinfu.core.errors import Forbidden, ValidationFailed
from jinfu.core.models import Notification
from jinfu.policy import engine, selectors, services
from jinfu.policy.models import Budget, Claim, ClaimEvent, Payout, Policy, PushHit
from jinfu.policy.services import Conflict
from tests.factories import FINTECH_BENEFIT, FINTECH_RULE, TODAY, make_item, set_profile


def fintech_row(**kw):
    row = {
        "org_id": 1,
        "division_code": "500103",
        "registered_capital": 50000.0,
        "paid_in_capital": 30000.0,
        "established_years": 0.5,
        "industry_section": "I",
        "industry_division": "65",
    }
    row.update(kw)
    return row


# ---------------------------------------------------------------------------
# Benefit formulas (the 渝中 fintech settlement award of seed 000)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row, eligible, amount",
    [
        (fintech_row(paid_in_capital=30000.0), True, Decimal("600.00")),  # 30000 × 2% = 600
        (fintech_row(paid_in_capital=80000.0), True, Decimal("1000.00")),  # 1600 → capped at 1000
        (fintech_row(paid_in_capital=50000.0), True, Decimal("1000.00")),  # exactly the cap
        (fintech_row(paid_in_capital=1234.5), True, Decimal("24.69")),  # 24.69
        (
            fintech_row(registered_capital=5000.0, paid_in_capital=5000.0),
            True,
            Decimal("100.00"),
        ),  # 以上 含本数
        (fintech_row(registered_capital=4000.0, paid_in_capital=4000.0), False, None),  # below the threshold
        (fintech_row(division_code="500105"), False, None),  # 江北区, not 渝中
        (fintech_row(established_years=3.0), False, None),  # not newly introduced
    ],
)
def test_fintech_settlement_award(row, eligible, amount):
    a = engine.assess(row, FINTECH_RULE, FINTECH_BENEFIT, Decimal("1000"))
    assert a.eligible is eligible
    assert a.amount == amount


def test_fintech_batch_matches_single_row():
    features = pl.DataFrame(
        [
            fintech_row(org_id=1, paid_in_capital=30000.0),
            fintech_row(org_id=2, paid_in_capital=80000.0),
            fintech_row(org_id=3, registered_capital=4000.0, paid_in_capital=4000.0),
            fintech_row(org_id=4, paid_in_capital=None),
        ]
    )
    out = engine.batch(features, FINTECH_RULE, FINTECH_BENEFIT, Decimal("1000")).sort("org_id")
    assert out["org_id"].to_list() == [1, 2, 4]
    assert out["estimate"].to_list() == [Decimal("600.00"), Decimal("1000.00"), None]


def test_cap_applies_even_when_formula_exceeds_it_and_negative_is_zero():
    assert engine.to_amount(1600, Decimal("1000")) == Decimal("1000.00")
    assert engine.to_amount(-5, None) == Decimal("0.00")
    assert engine.to_amount(None, Decimal("1")) is None


def test_laoshan_reference_formulas():
    a = engine.assess(
        {"declared_outside_investment": 10000.0},
        "declared_outside_investment >= 10000",
        "declared_outside_investment * 0.01",
        None,
    )
    assert a.eligible and a.amount == Decimal("100.00")  # 1亿 × 1% = 100万
    b = engine.assess(
        {"declared_outside_investment": 9999.0},
        "declared_outside_investment >= 10000",
        "declared_outside_investment * 0.01",
        None,
    )
    assert not b.eligible


def test_benefit_must_be_numeric_and_fields_known():
    with pytest.raises(ValidationFailed) as e:
        services.check_rules("registered_capital >= 5000", "registered_capital >= 5000")
    assert e.value.field == "benefit_formula" and "数值" in e.value.message_zh
    with pytest.raises(ValidationFailed) as e:
        services.check_rules("registerd_capital >= 5000", "10")
    assert e.value.field == "eligibility_rule" and e.value.code == "unknown_field"
    assert "registerd_capital" in e.value.message_en


# ---------------------------------------------------------------------------
# Database fixtures
# ---------------------------------------------------------------------------


@pytest.fixture
def gov(make_user, reference_data):
    user = make_user("government")
    user.organization.division_id = "500103"
    user.organization.save()
    return user


@pytest.fixture
def policy(gov):
    pol = services.save_policy(
        gov,
        {
            "code": "t-fintech",
            "title": "渝中区关于推进金融科技应用与发展扶持办法",
            "issuer": "渝中区",
            "division_id": "500103",
            "full_text": "对新引进的金融科技企业，注册资本金5000万元以上的，按实缴资本的2%给予最高1000万元落户奖励。",
        },
    )
    return services.publish_policy(gov, pol.pk)


@pytest.fixture
def ent(make_user, reference_data):
    user = make_user("enterprise")
    set_profile(user.organization, registered_capital=50000, paid_in_capital=30000)
    return user


def test_claim_approve_publicity_payout(gov, policy, ent, django_capture_on_commit_callbacks):
    item = make_item(gov, policy)
    claim = services.submit_claim(ent, item.pk, today=TODAY)
    assert claim.status == Claim.Status.SUBMITTED and claim.estimated_amount == Decimal("600.00")
    assert claim.stage_due == dt.date(2026, 3, 16)  # 10 working days
    claim = services.approve(gov, claim.pk, today=TODAY)
    assert claim.status == Claim.Status.PUBLICITY
    assert claim.publicity_until == dt.date(2026, 3, 9)  # 5 working days
    assert Budget.objects.get(item=item, period="2026").remaining == Decimal("1400.00")
    # no payout during the publicity period, only after it ends
    with pytest.raises(Conflict) as e:
        services.pay(gov, claim.pk, today=dt.date(2026, 3, 9))
    assert e.value.code == "publicity_running"
    with django_capture_on_commit_callbacks(execute=True):  # the notice goes out on commit
        payout = services.pay(gov, claim.pk, today=dt.date(2026, 3, 10))
    assert payout.amount == Decimal("600.00") and payout.division_code == "500103"
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
    assert list(ClaimEvent.objects.filter(claim=claim).values_list("to_status", flat=True)) == [
        "submitted",
        "publicity",
        "paid",
    ]
    assert Notification.objects.filter(recipient=ent, kind="policy_paid").exists()


def test_objection_within_publicity_blocks_payout(gov, policy, ent, make_user):
    item = make_item(gov, policy)
    claim = services.approve(gov, services.submit_claim(ent, item.pk, today=TODAY).pk, today=TODAY)
    citizen = make_user("enterprise")
    obj = services.object_to(citizen, claim.pk, text="该企业并非新引进", today=dt.date(2026, 3, 5))
    with pytest.raises(Conflict) as e:
        services.pay(gov, claim.pk, today=dt.date(2026, 3, 20))
    assert e.value.code == "objection_open"
    # after the period no objection can be raised
    with pytest.raises(ValidationFailed):
        services.object_to(citizen, claim.pk, text="晚了", today=dt.date(2026, 3, 10))
    services.resolve_objection(gov, obj.pk, upheld=True, note="经核实异议成立")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REJECTED
    assert Budget.objects.get(item=item, period="2026").remaining == Decimal("2000.00")  # released
    assert not Payout.objects.exists()


def test_dismissed_objection_returns_to_publicity(gov, policy, ent, make_user):
    item = make_item(gov, policy)
    claim = services.approve(gov, services.submit_claim(ent, item.pk, today=TODAY).pk, today=TODAY)
    obj = services.object_to(make_user("enterprise"), claim.pk, text="异议", today=TODAY)
    services.resolve_objection(gov, obj.pk, upheld=False, note="不成立")
    assert services.pay(gov, claim.pk, today=dt.date(2026, 3, 10)).amount == Decimal("600.00")


def test_claim_after_deadline(gov, policy, ent):
    item = make_item(gov, policy, apply_until="2026-02-28")
    with pytest.raises(ValidationFailed) as e:
        services.submit_claim(ent, item.pk, today=TODAY)
    assert e.value.code == "deadline" and "2026-02-28" in e.value.message_zh
    assert not Claim.objects.exists()


def test_no_double_benefit(gov, policy, ent):
    item = make_item(gov, policy, eligibility_rule="registered_capital >= 5000")
    first = dt.date(2025, 12, 1)
    services.submit_claim(ent, item.pk, today=first)
    with pytest.raises(Conflict) as e:
        services.submit_claim(ent, item.pk, today=first)
    assert "重复" in e.value.message_zh and "double benefit" in e.value.message_en
    assert Claim.objects.count() == 1
    # the next period is a new benefit
    assert services.submit_claim(ent, item.pk, today=TODAY).period == "2026"


def test_not_eligible_claim_names_the_clause(gov, policy, make_user):
    user = make_user("enterprise")
    set_profile(user.organization, registered_capital=4000, paid_in_capital=4000)
    item = make_item(gov, policy)
    with pytest.raises(ValidationFailed) as e:
        services.submit_claim(user, item.pk, today=TODAY)
    assert e.value.code == "not_eligible" and "注册资本" in e.value.message_zh


def test_approval_beyond_budget(gov, policy, ent, make_user):
    item = make_item(gov, policy, annual_budget="1000")
    other = make_user("enterprise")
    set_profile(other.organization, registered_capital=50000, paid_in_capital=30000)
    c1 = services.submit_claim(ent, item.pk, today=TODAY)
    c2 = services.submit_claim(other, item.pk, today=TODAY)
    services.approve(gov, c1.pk, today=TODAY)
    with pytest.raises(Conflict) as e:
        services.approve(gov, c2.pk, today=TODAY)
    assert e.value.code == "budget_exceeded" and "预算不足" in e.value.message_zh
    c2.refresh_from_db()
    assert c2.status == Claim.Status.SUBMITTED and c2.approved_amount is None  # nothing half-written
    assert Budget.objects.get(item=item).remaining == Decimal("400.00")


def test_permissions(gov, policy, ent, make_user):
    item = make_item(gov, policy)
    claim = services.submit_claim(ent, item.pk, today=TODAY)
    other = make_user("enterprise")
    assert list(selectors.claims_for(other)) == []
    assert list(selectors.claims_for(ent)) == [claim]
    with pytest.raises(Forbidden):
        services.approve(ent, claim.pk, today=TODAY)
    with pytest.raises(Forbidden):
        services.approve(make_user("institution"), claim.pk, today=TODAY)
    jiangbei = make_user("government")
    jiangbei.organization.division_id = "500105"
    jiangbei.organization.save()
    with pytest.raises(Forbidden):
        services.approve(jiangbei, claim.pk, today=TODAY)
    assert list(selectors.claims_for(jiangbei)) == []
    with pytest.raises(Forbidden):
        services.save_item(ent, policy.pk, {"title": "x", "benefit_formula": "1"})
    # a draft policy is not visible to enterprises
    draft = services.save_policy(gov, {"title": "草稿政策", "issuer": "渝中区", "division_id": "500103"})
    assert draft not in selectors.search(ent, None)
    assert draft in selectors.search(gov, None)


def test_auto_mode_confirm_and_push(gov, policy, make_user):
    users = []
    for cap, paid in ((50000, 30000), (90000, 80000), (4000, 4000)):
        u = make_user("enterprise")
        set_profile(u.organization, registered_capital=cap, paid_in_capital=paid)
        users.append(u)
    item = make_item(gov, policy, mode="auto")
    runs = services.run_push(gov, item.pk, today=TODAY)
    assert len(runs) == 1
    run = runs[0]
    assert (run.eligible, run.notified, run.total_estimate) == (2, 2, Decimal("1600.00"))
    assert set(PushHit.objects.values_list("enterprise_id", "estimate")) == {
        (users[0].organization_id, Decimal("600.00")),
        (users[1].organization_id, Decimal("1000.00")),
    }
    assert Notification.objects.filter(kind="policy_push", recipient=users[0]).count() == 1
    assert not Notification.objects.filter(kind="policy_push", recipient=users[2]).exists()
    # deduplicated per item and period
    again = services.run_push(gov, item.pk, today=TODAY)[0]
    assert again.eligible == 2 and again.notified == 0
    assert Notification.objects.filter(kind="policy_push").count() == 2
    mine = selectors.my_policies(users[0], today=TODAY)
    entry = next(e for e in mine["eligible"] if e["item"].pk == item.pk)
    assert entry["assessment"].amount == Decimal("600.00")
    assert all(c.passed for c in entry["assessment"].clauses)
    near = selectors.my_policies(users[2], today=TODAY)["near"]
    gap = next(e for e in near if e["item"].pk == item.pk)["assessment"].failed
    assert gap[0].field == "registered_capital" and gap[0].gap == 1000
    claim = services.submit_claim(users[0], item.pk, today=TODAY)  # 免申即享: confirm, no materials
    assert claim.events.first().note.startswith("确认享受")


def test_search_chinese_word_inside_text(gov, policy):
    services.save_policy(
        gov, {"title": "绿色金融扶持办法", "issuer": "渝中区", "full_text": "绿色债券贴息、担保费补贴"}
    )
    Policy.objects.update(status=Policy.Status.PUBLISHED)
    assert [p.code for p in selectors.search(gov, "落户奖励")] == ["t-fintech"]
    assert [p.title for p in selectors.search(gov, "担保费补贴")] == ["绿色金融扶持办法"]
    assert selectors.search(gov, "不存在的词语组合火星") == []
    # edits keep the index in sync
    services.save_policy(
        gov, {"title": "渝中区金融科技办法", "issuer": "渝中区", "full_text": "人才公寓"}, policy=policy
    )
    assert selectors.search(gov, "落户奖励") == []
    assert [p.code for p in selectors.search(gov, "人才公寓")] == ["t-fintech"]


def retry_locked(fn, *, committed, attempts=500):
    """On SQLite, retry while the other writer holds the lock. The test database is a shared-cache
    in-memory SQLite that answers "table is locked" at once instead of waiting (production SQLite waits,
    `timeout: 30`); a failed attempt was rolled back, so retrying is what waiting would have done, unless
    the lock hit after the commit (notifications are written after it). PostgreSQL blocks on the row lock
    by itself and never retries."""
    import time

    from django.db import OperationalError

    for _ in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            if not (connection.vendor == "sqlite" and "locked" in str(exc)):
                raise
        if _committed_when_readable(committed, OperationalError, attempts):
            return None  # the lock hit after the commit: the attempt did its work
        time.sleep(0.01)
    raise AssertionError("still locked")


def _committed_when_readable(committed, locked_error, attempts) -> bool:
    """Whether the failed attempt had committed, asked until the database answers (retrying a committed
    attempt would meet its own result, e.g. "cannot approve a claim in status publicity")."""
    import time

    for _ in range(attempts):
        try:
            return bool(committed())
        except locked_error:
            time.sleep(0.01)
    raise AssertionError("still locked")


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_never_overdraw_budget(make_user):
    from tests.conftest import ensure_reference_data

    ensure_reference_data()
    gov1 = make_user("government")
    gov2 = make_user("government")
    pol = services.save_policy(gov1, {"title": "并发测试政策", "issuer": "测试", "code": "race"})
    services.publish_policy(gov1, pol.pk)
    item = services.save_item(
        gov1,
        pol.pk,
        {
            "title": "定额奖励",
            "mode": "apply",
            "benefit_formula": "600",
            "annual_budget": "1000",
            "status": "open",
        },
    )
    claims = []
    for _ in range(2):
        u = make_user("enterprise")
        claims.append(services.submit_claim(u, item.pk, today=TODAY))
    barrier = threading.Barrier(2)
    results: dict = {}

    def decide(key, officer, claim_id):
        try:
            barrier.wait(timeout=10)
            retry_locked(
                lambda: services.approve(officer, claim_id, today=TODAY),
                committed=lambda: Claim.objects.get(pk=claim_id).status == Claim.Status.PUBLICITY or None,
            )
            results[key] = "ok"
        except Exception as exc:  # noqa: BLE001 - we record which error each thread met
            results[key] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("a", gov1, claims[0].pk)),
        threading.Thread(target=decide, args=("b", gov2, claims[1].pk)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    outcomes = sorted(type(v).__name__ if not isinstance(v, str) else v for v in results.values())
    assert outcomes == ["Conflict", "ok"], results
    budget = Budget.objects.get(item=item)
    assert budget.remaining == Decimal("400.00")
    assert Claim.objects.filter(status=Claim.Status.PUBLICITY).count() == 1

"""Money is Decimal end to end: benefit formulas evaluate exactly (single row and batch agree), budgets
reserve and release without float drift on SQLite and PostgreSQL, sums of amounts are exact, and the
ledger export writes exact amounts."""

from __future__ import annotations

import io
from decimal import Decimal

import polars as pl
import pytest
from django.db.models import Sum

from jinfu.policy import engine, reports, selectors, services
from jinfu.policy.models import Budget, Claim, Payout, PushRun
from jinfu.policy.services import Conflict
from tests.brain.test_brain_services import fixed_today, nanan, plans, record  # noqa: F401 - pytest fixtures
from tests.factories import TODAY, set_profile
from tests.policy.test_policy_services import gov, policy  # noqa: F401 - pytest fixtures

PAY_DAY = TODAY.replace(day=TODAY.day + 1)


# --------------------------------------------------------------------------------------------- engine
@pytest.mark.parametrize(
    "formula, row, amount",
    [
        ("paid_in_capital * 0.03", {"paid_in_capital": 40.5}, Decimal("1.22")),  # 1.215 (float: 1.2149999…)
        ("paid_in_capital * 0.015", {"paid_in_capital": 3355.5}, Decimal("50.33")),  # 50.3325
        ("paid_in_capital * 0.05", {"paid_in_capital": 16.5}, Decimal("0.83")),  # 0.825 (float: 0.8250…01)
        ("paid_in_capital * 0.01", {"paid_in_capital": 100.5}, Decimal("1.01")),  # 1.005
        ("ROUND(paid_in_capital * 0.03, 2)", {"paid_in_capital": 40.5}, Decimal("1.22")),  # ROUND(1.215, 2)
        ("paid_in_capital / 3", {"paid_in_capital": 1.0}, Decimal("0.33")),
    ],
)
def test_a_benefit_is_computed_exactly_and_rounded_half_up(formula, row, amount):
    assessed = engine.assess(row, "", formula, None)
    assert assessed.amount == amount
    batch = engine.batch(pl.DataFrame([{"org_id": 1, **row}]), "", formula, None)
    assert batch["estimate"].to_list() == [amount]


def test_batch_estimates_are_decimal_and_sum_exactly():
    features = pl.DataFrame([{"org_id": i, "paid_in_capital": 10.0} for i in range(3)])
    hits = engine.batch(features, "", "paid_in_capital * 0.01", None)
    assert hits["estimate"].to_list() == [Decimal("0.10")] * 3
    assert sum(hits["estimate"].to_list()) == Decimal("0.30")
    assert engine.total(hits) == Decimal("0.30")


def test_a_formula_that_overflows_gives_no_amount_rather_than_an_error():
    a = engine.assess({"paid_in_capital": 1.0}, "", "paid_in_capital * 1e999999 * 1e999999", None)
    assert a.amount is None


# ---------------------------------------------------------------------------------------------- budget
def _claims(gov, policy, make_user, *, budget: str, n: int, formula: str):  # noqa: F811
    item = services.save_item(
        gov,
        policy.pk,
        {
            "title": "定额奖励",
            "mode": "apply",
            "benefit_formula": formula,
            "annual_budget": budget,
            "publicity_days": 0,
            "status": "open",
        },
    )
    claims = []
    for _ in range(n):
        u = make_user("enterprise")
        set_profile(u.organization, registered_capital=100, paid_in_capital=100)
        claims.append(services.submit_claim(u, item.pk, today=TODAY))
    return item, claims


@pytest.mark.django_db
def test_a_budget_of_0_3_pays_0_1_then_0_2_and_leaves_exactly_zero(gov, policy, make_user):  # noqa: F811
    item, (c1, c2) = _claims(gov, policy, make_user, budget="0.3", n=2, formula="0.2")
    services.approve(gov, c1.pk, amount="0.1", today=TODAY)
    services.approve(gov, c2.pk, amount="0.2", today=TODAY)  # was refused: 0.19999999999999998 left
    budget = Budget.objects.get(item=item)
    assert budget.remaining == Decimal("0.00")
    for c in (c1, c2):
        services.pay(gov, c.pk, today=PAY_DAY)
    assert sorted(Payout.objects.values_list("amount", flat=True)) == [Decimal("0.10"), Decimal("0.20")]


@pytest.mark.django_db
def test_fourteen_payouts_of_0_1_use_up_a_budget_of_1_4_exactly(gov, policy, make_user):  # noqa: F811
    # in floats 1.4 - 13 × 0.1 = 0.09999999999999981: the 14th reservation was refused
    item, claims = _claims(gov, policy, make_user, budget="1.4", n=15, formula="0.1")
    for c in claims[:14]:
        services.approve(gov, c.pk, today=TODAY)
        services.pay(gov, c.pk, today=PAY_DAY)
    budget = Budget.objects.get(item=item)
    assert budget.remaining == Decimal("0.00")
    with pytest.raises(Conflict) as e:
        services.approve(gov, claims[14].pk, today=TODAY)
    assert e.value.code == "budget_exceeded"
    payouts = Payout.objects.filter(item=item)
    assert sum(p.amount for p in payouts) == Decimal("1.40")
    assert payouts.aggregate(s=Sum("amount"))["s"] == Decimal("1.40")  # SQLite sums REAL; Django quantizes
    assert selectors.dashboard(gov)["total"] == Decimal("1.40")
    book = reports.ledger_xlsx(payouts.select_related("item__policy", "enterprise"))
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(book)).active
    total = next(row for row in ws.iter_rows(values_only=True) if row[0] == "合计")
    assert Decimal(str(total[8])) == Decimal("1.40")
    amounts = [row[8] for row in ws.iter_rows(values_only=True) if row[0] and str(row[0]).startswith("ZC")]
    assert [Decimal(str(a)) for a in amounts] == [Decimal("0.1")] * 14


@pytest.mark.django_db
def test_releasing_a_reservation_restores_the_budget_exactly(gov, policy, make_user):  # noqa: F811
    item, (c1, c2) = _claims(gov, policy, make_user, budget="0.3", n=2, formula="0.2")
    services.approve(gov, c1.pk, amount="0.1", today=TODAY)
    services.approve(gov, c2.pk, amount="0.2", today=TODAY)
    objector = make_user("enterprise")
    services.object_to(objector, c2.pk, text="不符合条件", today=TODAY)
    objection = Claim.objects.get(pk=c2.pk).objections.get()
    services.resolve_objection(gov, objection.pk, upheld=True, note="异议成立", today=TODAY)
    # was 0.30000000000000004 > total: the budget_le_total check constraint failed (a 500)
    assert Budget.objects.get(item=item).remaining == Decimal("0.20")


@pytest.mark.django_db
def test_the_push_total_is_an_exact_sum(gov, policy, make_user):  # noqa: F811
    item, _ = _claims(gov, policy, make_user, budget="100", n=0, formula="paid_in_capital * 0.001")
    item.mode = "auto"
    item.save()
    features = pl.DataFrame(
        [{"org_id": make_user("enterprise").organization_id, "paid_in_capital": 100.0} for _ in range(3)]
    )
    run = services.run_push(gov, item.pk, today=TODAY, features=features)[0]
    assert PushRun.objects.get(pk=run.pk).total_estimate == Decimal("0.30")


# --------------------------------------------------------------------------------- brain unit conversion
def test_unit_conversion_is_exact_in_decimal():
    from jinfu.brain import engine as brain

    assert brain.convert_unit(149000, "千元", "亿元") == 1.49  # float: 1.4900000000000002
    assert brain.convert_unit(14900, "元", "万元") == 1.49  # float: 1.4899999999999998
    assert brain.normalize_unit(14.9, "千万元")[0] == 1.49
    assert brain.convert_unit(0.03, "万亿元", "亿元") == 300.0
    assert brain.convert_unit(1234000, "万元", "亿元") == 123.4


def test_an_actual_entered_in_wan_yuan_is_stored_without_float_artefacts(nanan, fixed_today):  # noqa: F811
    actual = record(nanan, value="14.9", unit="千万元")  # a 亿元 indicator
    actual.refresh_from_db()
    assert actual.value == 1.49 and str(actual.value) == "1.49"  # was 1.4900000000000002 (亿元)


# ------------------------------------------------------------------------------------ financing KPIs
def test_monthly_financing_amounts_are_summed_exactly(make_user, reference_data):
    from jinfu.financing import selectors as fin_selectors
    from tests.factories import apply_to, make_product
    from tests.financing.test_financing_workflow import _advance

    bank, officer = make_user("institution"), make_user("government")
    product = make_product(bank, amount_min="0.1")
    for amount in ("0.1", "0.2"):
        _advance(apply_to(make_user("enterprise"), product, amount=amount), bank, "disbursed")
    k = fin_selectors.kpis(officer)
    assert [month["amount"] for _, month in k["by_month"]] == [0.3]  # float sum: 0.30000000000000004
    assert k["financing_amount"] == 0.3


def test_the_indicator_page_shows_numbers_without_float_artefacts(nanan, fixed_today, client):  # noqa: F811
    record(nanan, value="1.4900000000000002", unit="万元")  # a value computed by a spreadsheet formula
    client.force_login(nanan)
    html = client.get("/brain/indicators/000-I01/").content.decode()
    assert "1.4900000000000002" not in html
    assert "1.49 万元" in html


@pytest.mark.parametrize(
    "value, shown",
    [
        (1.4900000000000002, "1.49"),
        (0.30000000000000004, "0.3"),
        (14900.0, "14900"),
        (-2.5, "-2.5"),
        (1e20, "100000000000000000000"),
        (Decimal("600.00"), "600"),
        (None, "—"),
        ("", "—"),
        ("x", "x"),
    ],
)
def test_the_number_filter(value, shown):
    from jinfu.core.templatetags.jinfu_numbers import number

    assert number(value) == shown


def test_a_fixed_amount_formula_gives_every_eligible_enterprise_that_amount():
    """A benefit formula naming no field (「一次性奖励 20 万元」) is evaluated once per eligible row."""
    features = pl.DataFrame({"org_id": [1, 2, 3], "revenue": [10.0, 600.0, 900.0]})
    hits = engine.batch(features, "revenue >= 500", "20", None)
    assert hits.get_column("org_id").to_list() == [2, 3]
    assert engine.total(hits) == Decimal("40.00")

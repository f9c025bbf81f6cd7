"""Financing demands and 揭榜: validation, what the hall shows before and after authorization, claims
(including two institutions claiming at once) and the expiry of claims."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jinfu.core import services as core_services
from jinfu.core.errors import Forbidden, ValidationFailed
from jinfu.core.models import Industry, Notification
from jinfu.core.reference.workdays import add_workdays
from jinfu.financing import selectors, services
from jinfu.financing.models import Demand, DemandClaim
from jinfu.financing.services import Conflict
from tests.financing.test_financing_workflow import busy_wait


def new_demand(ent, **kw) -> Demand:
    args = {
        "amount": "300",
        "term_months": 12,
        "purpose": "扩大生产线",
        "collateral_offered": ["equipment"],
        "urgency": "urgent",
        "visible_fields": ["industry", "revenue"],
    }
    args.update(kw)
    return services.create_demand(ent, **args)


@pytest.fixture
def ent(make_user, reference_data):
    return make_user("enterprise")


@pytest.fixture
def bank_a(make_user):
    return make_user("institution")


@pytest.fixture
def bank_b(make_user):
    return make_user("institution")


def test_create_demand(ent):
    d = new_demand(ent, purpose="  扩大生产线 ", visible_fields=["industry", "revenue", "shoe_size"])
    d.refresh_from_db()
    assert d.enterprise_id == ent.organization_id and d.status == Demand.Status.OPEN
    assert d.amount == Decimal("300") and d.term_months == 12 and d.purpose == "扩大生产线"
    assert d.collateral_offered == ["equipment"] and d.urgency == "urgent"
    assert d.visible_fields == ["industry", "revenue"]  # unknown fields are dropped
    # open for 30 days by default
    assert abs((d.expires_at - timezone.now()) - dt.timedelta(days=30)) < dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-50"}, "amount"),
        ({"amount": "99999999999"}, "amount"),  # ~10 万亿元: absurd
        ({"amount": "abc"}, "amount"),
        ({"term_months": 0}, "term_months"),
        ({"term_months": 361}, "term_months"),
        ({"collateral_offered": ["equipment", "moon_rock"]}, "collateral_offered"),
        ({"purpose": ""}, "purpose"),
        ({"purpose": "   "}, "purpose"),
        ({"urgency": "yesterday"}, "urgency"),
    ],
)
def test_bad_demands_are_rejected_with_the_field(ent, overrides, field):
    with pytest.raises(ValidationFailed) as err:
        new_demand(ent, **overrides)
    assert err.value.field == field
    assert Demand.objects.count() == 0


@pytest.mark.parametrize("role", ["institution", "government", "regulator", "admin"])
def test_only_enterprises_publish_demands(make_user, role):
    with pytest.raises(Forbidden):
        new_demand(make_user(role))
    assert Demand.objects.count() == 0


def _row(hall, demand):
    (row,) = [r for r in hall if r["demand"].pk == demand.pk]
    return row


def test_hall_shows_only_visible_fields_until_the_enterprise_grants_basic(ent, bank_a, bank_b):
    industry = Industry.objects.filter(level=Industry.Level.CLASS).order_by("code").first()
    d = new_demand(ent, visible_fields=["industry", "revenue"])
    facts = _row(selectors.demand_hall(bank_a), d)["facts"]
    assert facts["name"] is None  # the name is hidden unless chosen
    assert facts["employees"] is None and facts["size_class"] is None
    assert facts["industry"] == industry.name
    assert facts["revenue"] == Decimal("3000")
    assert _row(selectors.demand_hall(bank_a), d)["granted"] is False

    # a grant of another scope changes nothing; basic reveals everything to that institution only
    core_services.grant_access(
        ent,
        grantee=bank_a.organization,
        scopes=["financials"],
        purpose="credit_assessment",
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    assert _row(selectors.demand_hall(bank_a), d)["facts"]["name"] is None
    core_services.grant_access(
        ent,
        grantee=bank_a.organization,
        scopes=["basic"],
        purpose="credit_assessment",
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    row = _row(selectors.demand_hall(bank_a), d)
    assert row["granted"] is True
    assert row["facts"]["name"] == ent.organization.name
    assert row["facts"]["employees"] == 50
    assert row["facts"]["revenue"] == Decimal("3000")
    assert _row(selectors.demand_hall(bank_b), d)["facts"]["name"] is None


def test_hall_shows_the_name_when_the_enterprise_chose_it(ent, bank_a):
    d = new_demand(ent, visible_fields=["name"])
    facts = _row(selectors.demand_hall(bank_a), d)["facts"]
    assert facts["name"] == ent.organization.name
    assert facts["industry"] is None and facts["revenue"] is None


def test_a_revoked_grant_hides_the_fields_again(ent, bank_a):
    d = new_demand(ent, visible_fields=[])
    g = core_services.grant_access(
        ent,
        grantee=bank_a.organization,
        scopes=["basic"],
        purpose="credit_assessment",
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    assert _row(selectors.demand_hall(bank_a), d)["facts"]["name"] == ent.organization.name
    core_services.revoke_grant(ent, g.pk)
    assert _row(selectors.demand_hall(bank_a), d)["facts"]["name"] is None


def test_hall_leaves_out_closed_and_expired_demands(ent, bank_a):
    open_d = new_demand(ent)
    closed = new_demand(ent)
    Demand.objects.filter(pk=closed.pk).update(status=Demand.Status.CLOSED)
    expired = new_demand(ent)
    Demand.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    ids = {r["demand"].pk for r in selectors.demand_hall(bank_a)}
    assert ids == {open_d.pk}


@pytest.mark.parametrize("role", ["enterprise", "government", "regulator"])
def test_only_institutions_enter_the_hall(make_user, role):
    with pytest.raises(Forbidden):
        selectors.demand_hall(make_user(role))


def test_claim_then_a_second_claim_is_a_conflict(ent, bank_a, bank_b):
    d = new_demand(ent)
    claim = services.claim_demand(bank_a, d.pk)
    d.refresh_from_db()
    assert d.status == Demand.Status.CLAIMED
    assert claim.institution_id == bank_a.organization_id and claim.claimed_by_id == bank_a.pk
    assert claim.status == DemandClaim.Status.ACTIVE
    # the claim holds for 5 working days, to the end of that day
    expected_day = add_workdays(timezone.localdate(), 5)
    assert timezone.localtime(claim.expires_at).date() == expected_day
    assert timezone.localtime(claim.expires_at).time() == dt.time(23, 59)
    assert Notification.objects.filter(recipient=ent, kind="demand_claimed").count() == 1

    row = _row(selectors.demand_hall(bank_a), d)
    assert row["mine"] is True and row["claim"].pk == claim.pk
    assert _row(selectors.demand_hall(bank_b), d)["mine"] is False

    for inst in (bank_b, bank_a):
        with pytest.raises(Conflict):
            services.claim_demand(inst, d.pk)
    assert DemandClaim.objects.filter(demand=d).count() == 1
    assert Notification.objects.filter(recipient=ent, kind="demand_claimed").count() == 1


def test_the_database_allows_only_one_active_claim(ent, bank_a, bank_b):
    d = new_demand(ent)
    services.claim_demand(bank_a, d.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        DemandClaim.objects.create(
            demand=d, institution=bank_b.organization, expires_at=timezone.now() + dt.timedelta(days=1)
        )
    # a released claim does not count
    DemandClaim.objects.filter(demand=d).update(status=DemandClaim.Status.RELEASED)
    DemandClaim.objects.create(
        demand=d, institution=bank_b.organization, expires_at=timezone.now() + dt.timedelta(days=1)
    )


@pytest.mark.parametrize("role", ["enterprise", "government", "regulator", "admin"])
def test_non_institutions_cannot_claim(ent, make_user, role):
    d = new_demand(ent)
    actor = ent if role == "enterprise" else make_user(role)
    with pytest.raises(Forbidden):
        services.claim_demand(actor, d.pk)
    d.refresh_from_db()
    assert d.status == Demand.Status.OPEN and not DemandClaim.objects.exists()


def test_an_expired_demand_cannot_be_claimed(ent, bank_a):
    d = new_demand(ent)
    Demand.objects.filter(pk=d.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(Conflict):
        services.claim_demand(bank_a, d.pk)
    assert not DemandClaim.objects.exists()


def test_expired_claims_are_released_and_the_demand_reopens(ent, bank_a, bank_b):
    d = new_demand(ent)
    other = new_demand(ent)
    claim = services.claim_demand(bank_a, d.pk)
    live = services.claim_demand(bank_a, other.pk)
    assert services.expire_claims() == 0  # nothing is due yet

    DemandClaim.objects.filter(pk=claim.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert services.expire_claims() == 1
    claim.refresh_from_db()
    d.refresh_from_db()
    live.refresh_from_db()
    other.refresh_from_db()
    assert claim.status == DemandClaim.Status.EXPIRED and d.status == Demand.Status.OPEN
    assert live.status == DemandClaim.Status.ACTIVE and other.status == Demand.Status.CLAIMED
    assert services.expire_claims() == 0  # idempotent

    # now B can claim it
    b_claim = services.claim_demand(bank_b, d.pk)
    assert b_claim.institution_id == bank_b.organization_id


def test_claiming_releases_an_expired_claim_by_itself(ent, bank_a, bank_b):
    d = new_demand(ent)
    claim = services.claim_demand(bank_a, d.pk)
    DemandClaim.objects.filter(pk=claim.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    services.claim_demand(bank_b, d.pk)  # no explicit expire_claims() call
    claim.refresh_from_db()
    assert claim.status == DemandClaim.Status.EXPIRED
    assert DemandClaim.objects.get(demand=d, status="active").institution_id == bank_b.organization_id


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_leave_exactly_one_active_claim(make_user):
    ent = make_user("enterprise")
    banks = [make_user("institution") for _ in range(2)]
    for _ in range(3):
        d = new_demand(ent)
        barrier = threading.Barrier(2)
        results: dict[int, object] = {}

        def claim(i, d_pk=d.pk, barrier=barrier, results=results):
            inst = banks[i]

            def done():
                c = DemandClaim.objects.filter(demand_id=d_pk, institution=inst.organization).first()
                return c

            try:
                barrier.wait(timeout=10)
                results[i] = busy_wait(lambda: services.claim_demand(inst, d_pk), committed=done)
            except Exception as exc:  # noqa: BLE001 - recorded and asserted below
                results[i] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert len(results) == 2
        wins = [r for r in results.values() if isinstance(r, DemandClaim)]
        losses = [r for r in results.values() if not isinstance(r, DemandClaim)]
        assert len(wins) == 1 and len(losses) == 1, results
        assert isinstance(losses[0], Conflict), results
        active = DemandClaim.objects.filter(demand=d, status="active")
        assert active.count() == 1 and DemandClaim.objects.filter(demand=d).count() == 1
        assert active.get().pk == wins[0].pk
        d.refresh_from_db()
        assert d.status == Demand.Status.CLAIMED


def test_my_demands_page_shows_twenty_newest_first_then_pages(ent, client):
    import re

    made = [new_demand(ent, purpose=f"需求{i}") for i in range(23)]
    client.force_login(ent)
    first = client.get("/financing/demands/").content.decode()
    shown = [int(x) for x in re.findall(r'data-demand="(\d+)"', first)]
    assert shown == [d.pk for d in reversed(made)][:20]
    assert "第 1 / 2 页，共 23 条" in first
    second = client.get("/financing/demands/?page=2").content.decode()
    assert [int(x) for x in re.findall(r'data-demand="(\d+)"', second)] == [d.pk for d in made[:3]][::-1]

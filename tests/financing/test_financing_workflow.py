"""Financing service workflow: products and their versions, applying (with the grant it creates), the
application state machine (including concurrent decisions), events, notifications and KPIs.

Expected dates are computed by hand from 国务院办公厅关于2025年部分节假日安排的通知: 国庆节、中秋节
10月1日至8日放假调休，9月28日（周日）、10月11日（周六）上班.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from jinfu.core.errors import Forbidden, NotFound, ValidationFailed
from jinfu.core.models import Grant, Notification
from jinfu.financing import selectors, services
from jinfu.financing.models import Application, ApplicationEvent, Product, ProductVersion
from jinfu.financing.services import Conflict
from tests.factories import apply_to, make_product, product_data

# ---------------------------------------------------------------------------
# helpers (also used by the other test_financing_* files; the builders are in tests/factories.py)
# ---------------------------------------------------------------------------


def freeze_today(monkeypatch, day: dt.date):
    """The services read today's date through django.utils.timezone.localdate."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)


def snapshot_state(app: Application) -> tuple:
    app.refresh_from_db()
    return (
        app.status,
        app.lock_version,
        app.stage_due,
        app.reason_code,
        app.approved_amount,
        app.rate,
        app.disbursed_on,
        ApplicationEvent.objects.filter(application=app).count(),
    )


def busy_wait(fn, *, committed=lambda: None, attempts=500):
    """Run ``fn`` in a thread; on SQLite retry while the database is locked by the other writer.

    Production SQLite waits (``timeout: 30``) for a lock; the test database is a shared-cache
    in-memory SQLite that answers "table is locked" at once instead. A failed attempt's transaction
    was rolled back, so retrying is what waiting would have done — unless the lock hit after the
    commit (notifications are written after it): ``committed()`` returns the result in that case.
    PostgreSQL blocks on the row lock by itself and never retries.
    """
    import time

    from django.db import OperationalError

    def locked(exc):
        return connection.vendor == "sqlite" and "locked" in str(exc)

    for _ in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            if not locked(exc):
                raise
        while True:  # did this attempt commit before the lock error?
            try:
                done = committed()
                break
            except OperationalError as exc:
                if not locked(exc):
                    raise
                time.sleep(0.01)
        if done is not None:
            return done
        time.sleep(0.02)
    raise AssertionError("the database stayed locked")


@pytest.fixture
def bank(make_user):
    return make_user("institution")


@pytest.fixture
def ent(make_user, reference_data):
    return make_user("enterprise")


# ---------------------------------------------------------------------------
# Products and versions
# ---------------------------------------------------------------------------


def test_save_is_a_draft_and_publish_creates_version_one_with_the_snapshot(bank):
    product = make_product(bank, publish=False, name="知识产权质押贷", collateral=["ip"])
    assert product.status == Product.Status.DRAFT
    assert product.version == 0
    assert not ProductVersion.objects.filter(product=product).exists()

    product = services.set_product_status(bank, product.pk, Product.Status.PUBLISHED)
    product.refresh_from_db()
    assert product.status == Product.Status.PUBLISHED and product.version == 1
    assert product.published_at is not None
    v = ProductVersion.objects.get(product=product)
    assert v.version == 1
    assert v.snapshot["name"] == "知识产权质押贷"
    assert v.snapshot["collateral"] == ["ip"]
    assert Decimal(v.snapshot["amount_max"]) == Decimal("500")
    assert Decimal(v.snapshot["rate_min"]) == Decimal("3.2")
    assert v.snapshot["term_max"] == 36
    assert v.snapshot["institution_id"] == bank.organization_id
    assert v.snapshot["code"] == product.code


def test_editing_a_draft_makes_no_version(bank):
    product = make_product(bank, publish=False)
    services.save_product(bank, product_data(name="改名后的草稿"), product=product)
    product.refresh_from_db()
    assert product.name == "改名后的草稿" and product.version == 0
    assert not ProductVersion.objects.filter(product=product).exists()


def test_editing_a_published_product_makes_a_new_version_and_old_applications_keep_theirs(bank, ent):
    product = make_product(bank)
    app = apply_to(ent, product)
    assert app.product_version.version == 1

    services.save_product(bank, product_data(name="科创信用贷（升级版）", amount_max="800"), product=product)
    product.refresh_from_db()
    assert product.version == 2 and product.status == Product.Status.PUBLISHED
    versions = {v.version: v.snapshot for v in ProductVersion.objects.filter(product=product)}
    assert set(versions) == {1, 2}
    assert versions[1]["name"] == "科创信用贷" and Decimal(versions[1]["amount_max"]) == 500
    assert versions[2]["name"] == "科创信用贷（升级版）" and Decimal(versions[2]["amount_max"]) == 800

    app.refresh_from_db()
    assert app.product_version.version == 1
    assert app.product_version.snapshot["name"] == "科创信用贷"
    # a new application applies to the current version (and its new limit)
    app2 = apply_to(ent, product, amount="700")
    assert app2.product_version.version == 2


def test_an_institution_cannot_edit_or_publish_another_institutions_product(bank, make_user):
    product = make_product(bank, publish=False)
    other = make_user("institution")
    with pytest.raises(Forbidden):
        services.save_product(other, product_data(name="抢来的产品"), product=product)
    with pytest.raises(Forbidden):
        services.set_product_status(other, product.pk, Product.Status.PUBLISHED)
    with pytest.raises(Forbidden):
        services.set_product_status(other, product.pk, Product.Status.OFFLINE)
    product.refresh_from_db()
    assert product.name == "科创信用贷" and product.status == Product.Status.DRAFT and product.version == 0
    assert not ProductVersion.objects.filter(product=product).exists()


@pytest.mark.parametrize("role", ["enterprise", "government", "regulator", "admin"])
def test_only_institutions_create_products(make_user, role):
    with pytest.raises(Forbidden):
        services.save_product(make_user(role), product_data())
    assert Product.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_min": "600", "amount_max": "500"}, "amount_min"),
        ({"amount_min": "-1"}, "amount_min"),
        ({"amount_max": "-5"}, "amount_max"),
        ({"amount_max": "abc"}, "amount_max"),
        ({"rate_max": "37"}, "rate_max"),
        ({"rate_min": "7", "rate_max": "6"}, "rate_max"),
        ({"term_min": 0}, "term_min"),
        ({"term_min": 24, "term_max": 12}, "term_min"),
        ({"collateral": ["gold_bars"]}, "collateral"),
        ({"policy_support": ["free_money"]}, "policy_support"),
        ({"name": "  "}, "name"),
        ({"category": "lottery"}, "category"),
        ({"expected_days": 0}, "expected_days"),
    ],
)
def test_bad_product_input_is_rejected_with_the_field(bank, overrides, field):
    with pytest.raises(ValidationFailed) as err:
        services.save_product(bank, product_data(**overrides))
    assert err.value.field == field
    assert Product.objects.count() == 0


def test_an_invalid_rule_is_rejected_with_the_rule_languages_code_and_position(bank):
    with pytest.raises(ValidationFailed) as err:
        services.save_product(bank, product_data(eligibility_rule="revnue >= 10"))
    assert err.value.field == "eligibility_rule"
    assert err.value.code == "unknown_field"
    assert err.value.position == (0, 6)  # the misspelt "revnue"
    with pytest.raises(ValidationFailed) as err:
        services.save_product(bank, product_data(eligibility_rule="revenue + 1"))
    assert err.value.code == "result_type"
    assert Product.objects.count() == 0


def test_editing_with_bad_input_changes_nothing(bank):
    product = make_product(bank)
    with pytest.raises(ValidationFailed):
        services.save_product(bank, product_data(rate_max="40"), product=product)
    product.refresh_from_db()
    assert product.rate_max == Decimal("6.5") and product.version == 1
    assert ProductVersion.objects.filter(product=product).count() == 1


# ---------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------


def test_submission_sla_is_three_chinese_working_days_over_national_day(monkeypatch, bank, ent):
    product = make_product(bank)
    # Fri 2025-09-26: Sun 9-28 is a make-up working day → 9-28, 9-29, 9-30
    freeze_today(monkeypatch, dt.date(2025, 9, 26))
    assert apply_to(ent, product).stage_due == dt.date(2025, 9, 30)
    # Tue 2025-09-30: 10-1…10-8 are holidays, Sat 10-11 is a make-up day → 10-9, 10-10, 10-11
    freeze_today(monkeypatch, dt.date(2025, 9, 30))
    assert apply_to(ent, product).stage_due == dt.date(2025, 10, 11)
    # an ordinary week: Mon 2025-06-09 → Thu 2025-06-12
    freeze_today(monkeypatch, dt.date(2025, 6, 9))
    assert apply_to(ent, product).stage_due == dt.date(2025, 6, 12)


def test_apply_happy_path(bank, ent, make_user):
    from jinfu.core.selectors import check_enterprise_access

    officer2 = make_user("institution", org=bank.organization)
    product = make_product(bank, eligibility_rule="revenue >= 1000 and employees >= 10")
    app = apply_to(ent, product, amount="120.5", term=18, purpose="  研发投入  ")
    app.refresh_from_db()
    assert app.status == Application.Status.SUBMITTED
    assert app.enterprise_id == ent.organization_id and app.institution_id == bank.organization_id
    assert app.amount == Decimal("120.50") and app.term_months == 18 and app.purpose == "研发投入"
    assert app.lock_version == 0 and app.is_first_loan is True
    assert app.product_version.version == 1

    grant = app.grant
    assert grant.enterprise_id == ent.organization_id and grant.grantee_id == bank.organization_id
    assert sorted(grant.scopes) == ["basic", "credit_score", "financials"]
    assert grant.purpose == "loan_application" and grant.revoked_at is None
    assert grant.expires_at > timezone.now() + dt.timedelta(days=170)

    (event,) = ApplicationEvent.objects.filter(application=app)
    assert (event.from_status, event.to_status, event.actor_id) == ("", "submitted", ent.pk)
    assert event.due == app.stage_due

    # both of the institution's users are told; the enterprise is not
    for u in (bank, officer2):
        assert Notification.objects.filter(recipient=u, kind="application_new").count() == 1
    assert not Notification.objects.filter(recipient=ent).exists()

    # the receiving institution can now read the enterprise's financials; another institution cannot
    assert check_enterprise_access(bank, ent.organization, "financials") == grant
    other = make_user("institution")
    with pytest.raises(Forbidden):
        check_enterprise_access(other, ent.organization, "financials")
    # and the grant does not cover scopes the application did not ask for
    with pytest.raises(Forbidden):
        check_enterprise_access(bank, ent.organization, "tax")


def _counts():
    return (
        Application.objects.count(),
        Grant.objects.count(),
        ApplicationEvent.objects.count(),
        Notification.objects.count(),
    )


@pytest.mark.parametrize(
    ("setup", "kwargs", "field"),
    [
        ("draft", {}, "product"),
        ("offline", {}, "product"),
        ("published", {"amount": "5"}, "amount"),  # below amount_min 10
        ("published", {"amount": "500.01"}, "amount"),  # above amount_max 500
        ("published", {"amount": "-100"}, "amount"),
        ("published", {"amount": "0"}, "amount"),
        ("published", {"amount": "1e15"}, "amount"),
        ("published", {"amount": "NaN"}, "amount"),
        ("published", {"amount": "一百"}, "amount"),
        ("published", {"term": 0}, "term_months"),
        ("published", {"term": 48}, "term_months"),  # above term_max 36
        ("published", {"term": 3}, "term_months"),  # below term_min 6
        ("published", {"purpose": "   "}, "purpose"),
        ("ineligible", {}, "product"),
    ],
)
def test_bad_applications_are_rejected_and_write_nothing(bank, ent, setup, kwargs, field):
    rule = "revenue >= 100000" if setup == "ineligible" else ""  # the enterprise has 3000 万元
    product = make_product(bank, publish=setup != "draft", eligibility_rule=rule)
    if setup == "offline":
        services.set_product_status(bank, product.pk, Product.Status.OFFLINE)
    before = _counts()
    with pytest.raises(ValidationFailed) as err:
        apply_to(ent, product, **kwargs)
    assert err.value.field == field
    if setup in ("draft", "offline"):
        assert err.value.code == "product_offline"
    if setup == "ineligible":
        assert err.value.code == "not_eligible"
    assert _counts() == before


@pytest.mark.parametrize("role", ["institution", "government", "regulator", "admin"])
def test_only_enterprises_apply(bank, make_user, role):
    product = make_product(bank)
    before = _counts()
    with pytest.raises(Forbidden):
        apply_to(make_user(role), product)
    assert _counts() == before


def test_apply_to_a_missing_product_is_not_found(ent):
    with pytest.raises(NotFound):
        services.apply(ent, product_id=999999, amount="100", term_months=12, purpose="x")
    assert Application.objects.count() == 0


# ---------------------------------------------------------------------------
# The state machine
# ---------------------------------------------------------------------------


def test_full_workflow_with_sla_events_and_notifications(
    monkeypatch, bank, ent, make_user, django_capture_on_commit_callbacks
):
    freeze_today(monkeypatch, dt.date(2025, 9, 30))
    officer2 = make_user("institution", org=bank.organization)
    product = make_product(bank, expected_days=10)
    app = apply_to(ent, product, amount="100", term=12)
    assert app.stage_due == dt.date(2025, 10, 11)

    with django_capture_on_commit_callbacks(execute=True):
        app = services.transition(bank, app.pk, "accept", expected_version=0, note="材料齐全")
    # 5 working days from 9-30: 10-9, 10-10, 10-11 (make-up Sat), 10-13, 10-14
    assert (app.status, app.stage_due, app.lock_version) == ("accepted", dt.date(2025, 10, 14), 1)

    with django_capture_on_commit_callbacks(execute=True):
        app = services.transition(officer2, app.pk, "start_due_diligence")
    # the product's expected 10 working days: … 10-14 (5), 10-15, 10-16, 10-17, 10-20, 10-21
    assert (app.status, app.stage_due) == ("due_diligence", dt.date(2025, 10, 21))

    with django_capture_on_commit_callbacks(execute=True):
        app = services.transition(
            bank, app.pk, "approve", rate="4.35", approved_amount="80", approved_term="9"
        )
    app.refresh_from_db()
    assert app.status == "approved" and app.stage_due == dt.date(2025, 10, 14)
    assert (app.approved_amount, app.rate, app.approved_term) == (Decimal("80"), Decimal("4.35"), 9)
    assert app.decided_at is not None

    with django_capture_on_commit_callbacks(execute=True) as sent:  # notices go out on commit
        app = services.transition(bank, app.pk, "disburse")
    # one notice callback (on PostgreSQL the data-version bumps of core.dataversion also wait for the commit)
    assert len([c for c in sent if "notify_on_commit" in getattr(c, "__qualname__", "")]) == 1
    app.refresh_from_db()
    assert app.status == "disbursed" and app.stage_due is None
    assert app.disbursed_on == dt.date(2025, 9, 30) and app.lock_version == 4

    events = list(ApplicationEvent.objects.filter(application=app).order_by("at", "pk"))
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", "submitted"),
        ("submitted", "accepted"),
        ("accepted", "due_diligence"),
        ("due_diligence", "approved"),
        ("approved", "disbursed"),
    ]
    assert [e.actor_id for e in events] == [ent.pk, bank.pk, officer2.pk, bank.pk, bank.pk]
    assert events[1].note == "材料齐全"
    assert [e.due for e in events] == [
        dt.date(2025, 10, 11),
        dt.date(2025, 10, 14),
        dt.date(2025, 10, 21),
        dt.date(2025, 10, 14),
        None,
    ]
    assert not any(e.overdue for e in events)

    kinds = list(Notification.objects.filter(recipient=ent).order_by("pk").values_list("kind", flat=True))
    assert kinds == [
        "application_accepted",
        "application_due_diligence",
        "application_approved",
        "application_disbursed",
    ]
    assert all(
        n.url == f"/financing/applications/{app.pk}/" for n in Notification.objects.filter(recipient=ent)
    )


def test_a_late_step_is_recorded_as_overdue(monkeypatch, bank, ent):
    product = make_product(bank)
    freeze_today(monkeypatch, dt.date(2025, 9, 26))
    app = apply_to(ent, product)  # due 2025-09-30
    freeze_today(monkeypatch, dt.date(2025, 10, 9))
    services.transition(bank, app.pk, "accept")
    assert ApplicationEvent.objects.get(application=app, to_status="accepted").overdue is True


def test_an_in_time_step_is_not_overdue(monkeypatch, bank, ent):
    product = make_product(bank)
    freeze_today(monkeypatch, dt.date(2025, 9, 26))
    app = apply_to(ent, product)
    freeze_today(monkeypatch, dt.date(2025, 9, 30))  # the due day itself is still in time
    services.transition(bank, app.pk, "accept")
    assert ApplicationEvent.objects.get(application=app, to_status="accepted").overdue is False


def _advance(app, bank, to: str) -> Application:
    path = {
        "submitted": [],
        "accepted": ["accept"],
        "due_diligence": ["accept", "start_due_diligence"],
        "approved": ["accept", "start_due_diligence", "approve"],
        "disbursed": ["accept", "start_due_diligence", "approve", "disburse"],
    }[to]
    for action in path:
        app = services.transition(bank, app.pk, action, rate="5" if action == "approve" else None)
    assert app.status == to
    return app


@pytest.mark.parametrize("state", ["submitted", "accepted", "due_diligence", "approved"])
def test_reject_from_every_open_state_with_a_reason_code(
    bank, ent, state, django_capture_on_commit_callbacks
):
    app = _advance(apply_to(ent, make_product(bank)), bank, state)
    with django_capture_on_commit_callbacks(execute=True):
        app = services.transition(bank, app.pk, "reject", reason_code="R02")
    app.refresh_from_db()
    assert app.status == "rejected" and app.reason_code == "R02" and app.decided_at is not None
    ev = ApplicationEvent.objects.filter(application=app).last()
    assert (ev.from_status, ev.to_status, ev.actor_id) == (state, "rejected", bank.pk)
    assert ev.note == "信用记录不良"
    assert Notification.objects.filter(recipient=ent, kind="application_rejected").count() == 1


@pytest.mark.parametrize("code", [None, "", "R99"])
def test_reject_without_a_valid_reason_code_fails_and_changes_nothing(bank, ent, code):
    app = apply_to(ent, make_product(bank))
    before = snapshot_state(app)
    with pytest.raises(ValidationFailed) as err:
        services.transition(bank, app.pk, "reject", reason_code=code)
    assert not isinstance(err.value, Conflict)
    assert err.value.field == "reason_code"
    assert snapshot_state(app) == before


@pytest.mark.parametrize("state", ["submitted", "accepted", "due_diligence", "approved"])
def test_the_enterprise_withdraws_from_every_open_state(bank, ent, state, django_capture_on_commit_callbacks):
    app = _advance(apply_to(ent, make_product(bank)), bank, state)
    n_inst = Notification.objects.filter(recipient=bank, kind="application_withdrawn").count()
    with django_capture_on_commit_callbacks(execute=True):
        app = services.transition(ent, app.pk, "withdraw")
    assert app.status == "withdrawn"
    ev = ApplicationEvent.objects.filter(application=app).last()
    assert (ev.from_status, ev.to_status, ev.actor_id) == (state, "withdrawn", ent.pk)
    # the institution, not the enterprise, is told
    assert Notification.objects.filter(recipient=bank, kind="application_withdrawn").count() == n_inst + 1
    assert not Notification.objects.filter(recipient=ent, kind="application_withdrawn").exists()


@pytest.mark.parametrize(
    ("state", "who", "action", "error"),
    [
        ("submitted", "bank", "disburse", Conflict),
        ("submitted", "bank", "approve", Conflict),
        ("submitted", "bank", "start_due_diligence", Conflict),
        ("accepted", "bank", "approve", Conflict),
        ("accepted", "bank", "accept", Conflict),  # a second accept
        ("due_diligence", "bank", "disburse", Conflict),
        ("disbursed", "bank", "reject", Conflict),
        ("disbursed", "ent", "withdraw", Conflict),
        ("submitted", "ent", "accept", Forbidden),  # the enterprise accepting its own application
        ("due_diligence", "ent", "approve", Forbidden),
        ("submitted", "other_bank", "accept", Forbidden),  # institution B on institution A's application
        ("due_diligence", "other_bank", "reject", Forbidden),
        ("submitted", "bank", "withdraw", Forbidden),  # only the applicant withdraws
        ("submitted", "other_ent", "withdraw", Forbidden),
        ("submitted", "gov", "accept", Forbidden),
        ("submitted", "bank", "teleport", ValidationFailed),
    ],
)
def test_illegal_transitions_fail_and_change_nothing(bank, ent, make_user, state, who, action, error):
    app = _advance(apply_to(ent, make_product(bank)), bank, state)
    actors = {
        "bank": bank,
        "ent": ent,
        "other_bank": make_user("institution"),
        "other_ent": make_user("enterprise"),
        "gov": make_user("government"),
    }
    before = snapshot_state(app)
    notes = Notification.objects.count()
    with pytest.raises(error):
        services.transition(actors[who], app.pk, action, rate="5", reason_code="R01")
    assert snapshot_state(app) == before
    assert Notification.objects.count() == notes


def test_rejected_and_withdrawn_are_final(bank, ent):
    product = make_product(bank)
    rejected = services.transition(bank, apply_to(ent, product).pk, "reject", reason_code="R01")
    withdrawn = services.transition(ent, apply_to(ent, product).pk, "withdraw")
    for app in (rejected, withdrawn):
        for actor, action in [(bank, "accept"), (bank, "reject"), (ent, "withdraw"), (bank, "disburse")]:
            with pytest.raises(Conflict):
                services.transition(actor, app.pk, action, reason_code="R01")


@pytest.mark.parametrize(
    ("decision", "field"),
    [
        ({"rate": "40"}, "rate"),
        ({"rate": "-1"}, "rate"),
        ({"rate": None}, "rate"),
        ({"rate": "4", "approved_amount": "150"}, "approved_amount"),  # more than the 100 asked
        ({"rate": "4", "approved_amount": "-3"}, "approved_amount"),
        ({"rate": "4", "approved_term": "0"}, "approved_term"),
    ],
)
def test_bad_approval_decisions_fail_and_change_nothing(bank, ent, decision, field):
    app = _advance(apply_to(ent, make_product(bank), amount="100"), bank, "due_diligence")
    before = snapshot_state(app)
    with pytest.raises(ValidationFailed) as err:
        services.transition(bank, app.pk, "approve", **decision)
    assert err.value.field == field
    assert snapshot_state(app) == before


def test_disbursement_date_cannot_be_in_the_future(bank, ent):
    app = _advance(apply_to(ent, make_product(bank)), bank, "approved")
    before = snapshot_state(app)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed):
        services.transition(bank, app.pk, "disburse", disbursed_on=tomorrow.isoformat())
    assert snapshot_state(app) == before


def test_a_stale_expected_version_is_a_conflict(bank, ent, make_user):
    officer2 = make_user("institution", org=bank.organization)
    app = apply_to(ent, make_product(bank))
    seen = app.lock_version  # both officers open the page at version 0
    services.transition(bank, app.pk, "accept", expected_version=seen)
    before = snapshot_state(app)
    with pytest.raises(Conflict):
        services.transition(officer2, app.pk, "reject", expected_version=seen, reason_code="R01")
    assert snapshot_state(app) == before
    assert app.status == "accepted"
    # with the current version the same decision goes through
    services.transition(officer2, app.pk, "reject", expected_version=seen + 1, reason_code="R01")
    app.refresh_from_db()
    assert app.status == "rejected" and app.lock_version == seen + 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_exactly_one_wins(make_user):
    """Two officers decide the same application at the same moment: one approve, one reject."""
    bank = make_user("institution")
    officer2 = make_user("institution", org=bank.organization)
    ent = make_user("enterprise")
    for _ in range(3):  # a few rounds make an interleaving bug likely to show
        app = _advance(apply_to(ent, make_product(bank)), bank, "due_diligence")
        barrier = threading.Barrier(2)
        results: dict[str, object] = {}

        seen = app.lock_version  # both officers opened the page at this version

        def decide(name, actor, action, app_pk=app.pk, seen=seen, barrier=barrier, results=results, **kw):
            def step_done():
                ev = ApplicationEvent.objects.filter(
                    application_id=app_pk, from_status="due_diligence", actor=actor
                ).first()
                return ev.to_status if ev else None

            try:
                barrier.wait(timeout=10)
                results[name] = busy_wait(
                    lambda: services.transition(actor, app_pk, action, expected_version=seen, **kw).status,
                    committed=step_done,
                )
            except Exception as exc:  # noqa: BLE001 - recorded and asserted below
                results[name] = exc
            finally:
                connection.close()

        threads = [
            threading.Thread(target=decide, args=("a", bank, "approve"), kwargs={"rate": "4.2"}),
            threading.Thread(target=decide, args=("b", officer2, "reject"), kwargs={"reason_code": "R03"}),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        outcomes = sorted(results.values(), key=lambda r: isinstance(r, Exception))
        assert len(outcomes) == 2
        winner, loser = outcomes
        assert winner in ("approved", "rejected"), results
        assert isinstance(loser, Conflict), results
        app.refresh_from_db()
        assert app.status == winner and app.lock_version == 3
        steps = ApplicationEvent.objects.filter(application=app, from_status="due_diligence")
        assert steps.count() == 1 and steps.get().to_status == winner
        assert (app.reason_code == "R03") == (winner == "rejected")
        assert (app.rate is not None) == (winner == "approved")


# ---------------------------------------------------------------------------
# KPIs
# ---------------------------------------------------------------------------


def test_kpis_follow_decisions_and_disbursements(bank, make_user, reference_data):
    gov = make_user("government")
    e1, e2 = make_user("enterprise"), make_user("enterprise")
    product = make_product(bank)
    k0 = selectors.kpis(gov)
    assert (k0["applications"], k0["disbursed"], k0["financing_amount"]) == (0, 0, 0.0)
    assert k0["approval_rate"] is None and k0["first_loan_customers"] == 0

    a1 = _advance(apply_to(e1, product, amount="100"), bank, "approved")
    k = selectors.kpis(gov)
    assert k["disbursed"] == 0 and k["decided"] == 1 and k["approval_rate"] == 1.0

    services.transition(bank, a1.pk, "disburse")
    k1 = selectors.kpis(gov)
    assert k1["disbursed"] == k0["disbursed"] + 1
    assert k1["financing_amount"] == pytest.approx(100.0)  # approved_amount defaults to the asked 100
    assert k1["first_loan_customers"] == 1
    assert k1["credit_loan_share"] == pytest.approx(1.0)

    # e1's second loan is not a first loan; e2: one rejected, one approved (not yet disbursed)
    a2 = apply_to(e1, product, amount="60")
    assert a2.is_first_loan is False
    a2 = _advance(a2, bank, "due_diligence")
    services.transition(bank, a2.pk, "approve", rate="4.5", approved_amount="50")
    services.transition(bank, a2.pk, "disburse")
    services.transition(bank, apply_to(e2, product).pk, "reject", reason_code="R03")
    _advance(apply_to(e2, product), bank, "approved")
    apply_to(e2, product)  # still submitted: not decided

    k2 = selectors.kpis(gov)
    assert k2["applications"] == 5
    assert k2["decided"] == 4  # 2 disbursed + 1 approved + 1 rejected
    assert k2["approval_rate"] == pytest.approx(3 / 4)
    assert k2["disbursed"] == 2
    assert k2["financing_amount"] == pytest.approx(150.0)  # 100 + 50 approved, not the 60 asked
    assert k2["first_loan_customers"] == 1  # e1 counted once; e2 has no loan yet
    assert float(k2["avg_rate"]) == pytest.approx((5 + 4.5) / 2)
    month = timezone.localdate().strftime("%Y-%m")
    assert dict(k2["by_month"])[month] == {"n": 2, "amount": pytest.approx(150.0)}


@pytest.mark.parametrize("role", ["enterprise", "institution"])
def test_kpis_are_for_government_only(make_user, role):
    with pytest.raises(Forbidden):
        selectors.kpis(make_user(role))

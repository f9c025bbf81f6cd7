"""The back office (/admin/): Chinese throughout in the default language, operators' records registered,
workflow and evidence records view-only (the services' rules cannot be bypassed), edits audited."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from jinfu.core.admin import ReadOnlyAdmin

pytestmark = pytest.mark.django_db

# Workflow state and records of fact: they change only through the services, never in the admin.
VIEW_ONLY = [
    "financing.Product",
    "financing.Demand",
    "financing.Application",
    "policy.Budget",
    "policy.Claim",
    "policy.Objection",
    "policy.Payout",
    "brain.Actual",
    "core.Grant",
    "core.AccessRecord",
    "core.SecurityEvent",
    "core.Attachment",
    "auditlog.LogEntry",
]
OPERATORS_RECORDS = [
    "financing.Product",
    "financing.Demand",
    "financing.Application",
    "financing.Fund",
    "financing.RoadshowProject",
    "policy.Policy",
    "policy.PolicyItem",
    "policy.Budget",
    "policy.Claim",
    "policy.Objection",
    "policy.Payout",
    "brain.Plan",
    "brain.Indicator",
    "brain.Actual",
    "brain.Task",
    "core.Attachment",
]
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
# Technical abbreviations an operator reads as such (API 密钥, IP 地址 …).
ALLOWED_WORDS = {"API", "HTTP", "GET", "POST", "SHA"}


def _english_words(text: str) -> list[str]:
    return [w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED_WORDS]


def _texts(html: str, pattern: str) -> list[str]:
    return [re.sub(r"<[^>]+>|\s+", " ", t).strip() for t in re.findall(pattern, html, re.S)]


@pytest.fixture
def operator(client, make_user):
    user = make_user("admin")
    client.force_login(user)
    return user


@pytest.fixture
def records(make_user):
    """One record of every registered financing, policy and brain model (built directly: fixture data)."""
    from jinfu.brain import models as b
    from jinfu.financing import models as f
    from jinfu.policy import models as p

    bank = make_user("institution").organization
    firm = make_user("enterprise").organization
    today = dt.date(2026, 6, 30)
    product = f.Product.objects.create(
        institution=bank,
        code="P-1",
        name="科创信用贷",
        category="loan",
        subtype="credit",
        amount_min=Decimal("10"),
        amount_max=Decimal("1234.5"),
        rate_min=Decimal("3.1"),
        rate_max=Decimal("4.2"),
        term_min=6,
        term_max=36,
        status="published",
        version=1,
    )
    version = f.ProductVersion.objects.create(product=product, version=1, snapshot={"name": product.name})
    demand = f.Demand.objects.create(
        enterprise=firm,
        amount=Decimal("300"),
        term_months=12,
        purpose="购置设备",
        expires_at="2026-07-30T00:00+08:00",
    )
    application = f.Application.objects.create(
        enterprise=firm,
        product=product,
        product_version=version,
        institution=bank,
        amount=Decimal("200"),
        term_months=12,
        purpose="购置设备",
    )
    f.ApplicationEvent.objects.create(application=application, to_status="submitted", note="提交申请")
    fund = f.Fund.objects.create(
        manager=bank,
        name="科创基金",
        size=Decimal("5"),
        ticket_min=Decimal("100"),
        ticket_max=Decimal("2000"),
    )
    roadshow = f.RoadshowProject.objects.create(
        enterprise=firm, title="智能装备项目", summary="简介", stage="a", amount_sought=Decimal("800")
    )
    policy = p.Policy.objects.create(code="pol-1", title="科技企业奖励办法", issuer="市科技局")
    item = p.PolicyItem.objects.create(policy=policy, code="pol-1-01", title="研发奖励", status="open")
    budget = p.Budget.objects.create(
        item=item, period="2026", total=Decimal("1000"), remaining=Decimal("900")
    )
    claim = p.Claim.objects.create(item=item, enterprise=firm, period="2026", estimated_amount=Decimal("100"))
    p.ClaimEvent.objects.create(claim=claim, to_status="submitted")
    objection = p.Objection.objects.create(claim=claim, text="金额有误", raised_on=today)
    payout = p.Payout.objects.create(
        claim=claim,
        item=item,
        enterprise=firm,
        period="2026",
        amount=Decimal("100"),
        paid_on=today,
        voucher="V-1",
    )
    plan = b.Plan.objects.create(
        code="T1", title="金融发展规划", source_file="plan.pdf", period_start=2021, period_end=2025
    )
    indicator = b.Indicator.objects.create(
        plan=plan,
        code="T1-01",
        name="贷款余额",
        scope_name="全市",
        unit="亿元",
        kind="end_value",
        target_year=2025,
        comparator="at_least",
    )
    actual = b.Actual.objects.create(
        indicator=indicator,
        year=2025,
        value=1.0,
        unit="亿元",
        entered_value=1.0,
        entered_unit="亿元",
        source="统计局",
    )
    task = b.Task.objects.create(plan=plan, code="T1-K1", title="推进首贷服务")
    b.MonitoringReport.objects.create(plan=plan, year=2025)
    return {
        "financing.Product": product,
        "financing.Demand": demand,
        "financing.Application": application,
        "financing.Fund": fund,
        "financing.RoadshowProject": roadshow,
        "policy.Policy": policy,
        "policy.PolicyItem": item,
        "policy.Budget": budget,
        "policy.Claim": claim,
        "policy.Objection": objection,
        "policy.Payout": payout,
        "brain.Plan": plan,
        "brain.Indicator": indicator,
        "brain.Actual": actual,
        "brain.Task": task,
    }


def _model(label):
    from django.apps import apps

    return apps.get_model(label)


def _url(label, view, *args):
    model = _model(label)
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_operators_records_are_registered():
    missing = [label for label in OPERATORS_RECORDS if not admin.site.is_registered(_model(label))]
    assert missing == []


def test_admin_index_has_no_english_heading(client, operator):
    html = client.get("/admin/").content.decode()
    headings = _texts(html, r"<caption>(.*?)</caption>") + _texts(html, r'<th scope="row"[^>]*>(.*?)</th>')
    assert len(headings) > 40
    assert {h: _english_words(h) for h in headings if _english_words(h)} == {}
    for name in ("数据变更记录", "登录防护", "后台任务", "融资服务", "政策兑现", "金融产业大脑"):
        assert name in html


def test_every_changelist_and_change_page_answers_in_chinese(client, operator, records):
    """Every registered model's list answers 200 with a Chinese title and Chinese column headings; the
    change page of one record answers 200 (records of the operators' own apps)."""
    english = {}
    for model in list(admin.site._registry):
        label = model._meta.label
        response = client.get(_url(label, "changelist"))
        assert response.status_code == 200, label
        html = response.content.decode()
        texts = _texts(html, r"<h1[^>]*>(.*?)</h1>") + _texts(html, r'<th scope="col"[^>]*>(.*?)</th>')
        texts += _texts(html, r"<summary>(.*?)</summary>")  # filter titles
        words = [w for t in texts for w in _english_words(t)]
        if words:
            english[label] = words
        obj = records.get(label) or model._default_manager.first()
        if obj is not None:
            response = client.get(_url(label, "change", obj.pk))
            assert response.status_code == 200, label
            html = response.content.decode()
            texts = _texts(html, r"<label[^>]*>(.*?)</label>")  # field names (values are data)
            if label in records:  # and the names of inline sections and their columns
                texts += _texts(html, r'<h2[^>]*id="[^"]*-heading"[^>]*>(.*?)</h2>')
                texts += _texts(html, r'<th class="column-[^"]*"[^>]*>(.*?)</th>')
            words = [w for t in texts for w in _english_words(t)]
            if words:
                english[f"{label} change"] = words
    assert english == {}


def test_every_column_and_filter_is_named_in_chinese(operator, rf):
    """Also the columns of lists that are empty in this test database (login attempts, tasks, …)."""
    from django.contrib.admin.utils import label_for_field
    from django.utils import translation

    request = rf.get("/admin/")
    request.user = operator
    english = {}
    with translation.override("zh-hans"):
        for model, model_admin in admin.site._registry.items():
            names = [*model_admin.get_list_display(request)]
            names += [f for f in model_admin.get_list_filter(request) if isinstance(f, str)]
            if isinstance(model_admin, ReadOnlyAdmin):  # the fields of a record's read-only page
                names += model_admin.get_fields(request)
            for name in names:
                text = str(label_for_field(name, model, model_admin))
                if _english_words(text):
                    english[f"{model._meta.label}.{getattr(name, '__name__', name)}"] = text
    assert english == {}


def test_money_shows_with_two_decimals(client, operator, records):
    html = client.get(_url("financing.Product", "changelist")).content.decode()
    assert "1234.50" in html or "1,234.50" in html


@pytest.mark.parametrize("label", VIEW_ONLY)
def test_workflow_records_refuse_add_change_delete(client, operator, records, label):
    obj = records.get(label) or _model(label)._default_manager.first()
    assert client.get(_url(label, "add")).status_code == 403
    if obj is None:
        return
    before = _model(label)._default_manager.count()
    page = client.get(_url(label, "change", obj.pk)).content.decode()
    assert 'name="_save"' not in page  # view only, no save button
    assert client.post(_url(label, "change", obj.pk), {}).status_code == 403
    assert client.post(_url(label, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert _model(label)._default_manager.count() == before


def test_application_page_shows_its_events_read_only(client, operator, records):
    application = records["financing.Application"]
    html = client.get(_url("financing.Application", "change", application.pk)).content.decode()
    assert "办理记录" in html and "提交申请" in html
    steps = _texts(html, r'<td class="field-to_step">(.*?)</td>')
    assert steps == ["已申请"]  # the step by its Chinese name, not the stored code
    editable = r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*name="events-'
    assert re.search(editable, html) is None  # the events are shown, not editable


def test_editing_a_policy_in_the_admin_is_audited(client, operator, records):
    from auditlog.models import LogEntry

    from jinfu.core.models import SecurityEvent

    policy = records["policy.Policy"]
    url = _url("policy.Policy", "change", policy.pk)
    response = client.post(
        url,
        {
            "code": policy.code,
            "title": "科技企业奖励办法（修订）",
            "issuer": "市科技局",
            "faq": "[]",
            "tags": [],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    policy.refresh_from_db()
    assert policy.title == "科技企业奖励办法（修订）"
    entry = LogEntry.objects.get_for_object(policy).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == operator
    assert entry.changes_dict["title"] == ["科技企业奖励办法", "科技企业奖励办法（修订）"]
    assert SecurityEvent.objects.filter(
        kind="admin_action", user=operator, detail__model="policy.Policy"
    ).exists()


def test_policy_item_rule_is_checked_before_it_is_stored(client, operator, records):
    item = records["policy.PolicyItem"]
    response = client.post(
        _url("policy.PolicyItem", "change", item.pk),
        {
            "policy": item.policy_id,
            "code": item.code,
            "title": item.title,
            "mode": "apply",
            "eligibility_rule": "employees >>> 3",
            "benefit_formula": "",
            "required_materials": "[]",
            "declared_fields": "[]",
            "review_days": 10,
            "publicity_days": 5,
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "申领条件" in response.content.decode()
    item.refresh_from_db()
    assert item.eligibility_rule == ""


def test_task_owner_and_progress_are_not_edited_in_the_admin(client, operator, records, make_user):
    """Assignment checks the owner belongs to the office (brain.services.assign_task); progress comes from
    the reports. A forged post of those fields changes nothing; the task's text can be edited."""
    task = records["brain.Task"]
    stranger = make_user("government")
    response = client.post(
        _url("brain.Task", "change", task.pk),
        {
            "plan": task.plan_id,
            "code": task.code,
            "order": 0,
            "title": "推进首贷续贷服务",
            "priority": 1,
            "lead_units": "[]",
            "cooperating_units": "[]",
            "numeric_targets": "[]",
            "owner_user": stranger.pk,
            "status": "done",
            "progress": 100,
            "reports-TOTAL_FORMS": 0,
            "reports-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    task.refresh_from_db()
    assert task.title == "推进首贷续贷服务"
    assert (task.owner_user_id, task.status, task.progress) == (None, "not_started", 0)


def test_reading_a_claim_in_the_admin_is_recorded_as_an_access(client, operator, records):
    """The claim's basis carries the enterprise's revenue and employees: the operator's read is recorded,
    so the enterprise sees it on its consent page."""
    from jinfu.core.models import AccessRecord

    claim = records["policy.Claim"]
    assert client.get(_url("policy.Claim", "change", claim.pk)).status_code == 200
    reads = AccessRecord.objects.filter(enterprise=claim.enterprise, accessor_user=operator)
    assert sorted(reads.values_list("scope", flat=True)) == ["basic", "financials"]
    assert all(reads.values_list("allowed", flat=True))


def test_policy_item_edit_bumps_its_version_and_is_audited(client, operator, records):
    """A reviewer's form open on the old version is refused afterwards (optimistic lock, as save_item)."""
    from auditlog.models import LogEntry

    item = records["policy.PolicyItem"]
    response = client.post(
        _url("policy.PolicyItem", "change", item.pk),
        {
            "policy": item.policy_id,
            "code": item.code,
            "title": "研发投入奖励",
            "mode": "apply",
            "eligibility_rule": "employees >= 10",
            "benefit_formula": "",
            "required_materials": "[]",
            "declared_fields": "[]",
            "review_days": 10,
            "publicity_days": 5,
            "status": "open",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    item.refresh_from_db()
    assert (item.title, item.eligibility_rule, item.lock_version) == ("研发投入奖励", "employees >= 10", 1)
    assert LogEntry.objects.get_for_object(item).filter(actor=operator).exists()


def test_back_office_in_english_names_the_third_party_apps(client, operator):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/admin/").content.decode()
    for name in ("Record changes", "Login protection", "Background tasks", "Enterprise profile and credit"):
        assert name in html
    assert "登录防护" not in html


def test_third_party_catalogue_is_compiled():
    """locale/zh_Hans is kept by hand: its committed .mo matches the .po (no compilemessages in CI)."""
    import gettext
    from pathlib import Path

    from django.conf import settings

    from tests.test_i18n import parse_po

    folder = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
    entries = parse_po(folder / "django.po")
    assert len(entries) > 50
    with (folder / "django.mo").open("rb") as f:
        catalogue = gettext.GNUTranslations(f)
    assert {e["msgid"]: catalogue.gettext(e["msgid"]) for e in entries} == {
        e["msgid"]: e["msgstr"][0] for e in entries
    }

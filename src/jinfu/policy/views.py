"""Policy pages: parse, call a selector or service, render."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jinfu.core import exports
from jinfu.core.errors import Forbidden, JinfuError, TooManyRequests
from jinfu.core.features import enterprise_features
from jinfu.core.models import Division, Role
from jinfu.core.principal import as_principal
from jinfu.core.views import _error
from jinfu.core.views_attachments import panel as attachments_panel
from jinfu.core.web import page

from . import engine, reports, selectors, services
from . import exports as export_tables
from .models import Claim, PolicyItem


def _p(request):
    return as_principal(request.user)


def _gov(request) -> bool:
    p = _p(request)
    return p.is_admin or p.role == Role.GOVERNMENT


def _require_gov(request):
    if not _gov(request):
        raise Forbidden("仅政府部门用户可用", "Government users only")


@page
def library(request):
    q = request.GET.get("q", "").strip()
    tag = request.GET.get("tag") or None
    policies = selectors.search(request.user, q, tag=tag)
    pager = Paginator(policies, 20).get_page(request.GET.get("page"))
    from .models import PolicyTag

    return render(
        request,
        "policy/library.html",
        {
            "page": pager,
            "q": q,
            "tag": tag,
            "tags": PolicyTag.objects.all(),
            "qs": f"q={q}&" + (f"tag={tag}&" if tag else ""),
        },
    )


@page
def policy_detail(request, pk: int):
    policy = selectors.get_policy(request.user, pk)
    items = list(policy.items.all())
    assessments = {}
    if _p(request).role == Role.ENTERPRISE:
        rows = enterprise_features([request.user.organization_id]).to_dicts()
        row = rows[0] if rows else {}
        for it in items:
            if it.mode != PolicyItem.Mode.REFERENCE:
                assessments[it.pk] = engine.assess(row, it.eligibility_rule, it.benefit_formula, it.cap)
    rows = [{"item": it, "assessment": assessments.get(it.pk)} for it in items]
    return render(request, "policy/policy.html", {"policy": policy, "rows": rows, "can_edit": _gov(request)})


@page
def mine(request):
    data = selectors.my_policies(request.user)
    return render(request, "policy/mine.html", data)


@page
def claim(request, pk: int):
    """Apply (申报) or confirm (免申即享) an item."""
    item = selectors.get_item(request.user, pk)
    if _p(request).role != Role.ENTERPRISE:
        return HttpResponseForbidden("只有企业用户可以申领 / enterprises only")
    declared = [engine.DECLARED[n] for n in item.declared_fields or []]
    values = {}
    if request.method == "POST":
        values = {f.name: request.POST.get(f.name, "") for f in declared}
        try:
            c = services.submit_claim(
                request.user,
                item.pk,
                declared=values,
                materials=request.POST.getlist("materials"),
                note=request.POST.get("note", ""),
            )
        except JinfuError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("已提交，请在“我的兑现”中查看进度"))
            return redirect("policy:claim-detail", pk=c.pk)

    rows = enterprise_features([request.user.organization_id]).to_dicts()
    a = engine.assess(rows[0] if rows else {}, item.eligibility_rule, item.benefit_formula, item.cap)
    return render(
        request, "policy/claim.html", {"item": item, "declared": declared, "values": values, "assessment": a}
    )


@page
def claims(request):
    status = request.GET.get("status") or None
    qs = selectors.claims_for(request.user, status=status)
    if exports.requested(request):
        return exports.respond(request, export_tables.CLAIMS, qs)
    pager = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "policy/claims.html",
        {"page": pager, "status": status, "statuses": Claim.Status.choices, "qs": f"status={status or ''}&"},
    )


@page
def claim_detail(request, pk: int):
    c = selectors.get_claim(request.user, pk)
    p = _p(request)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                services.approve(
                    request.user,
                    c.pk,
                    amount=request.POST.get("amount") or None,
                    note=request.POST.get("note", ""),
                    expected_version=int(request.POST.get("version", c.lock_version)),
                )
            elif action == "reject":
                services.reject(
                    request.user,
                    c.pk,
                    note=request.POST.get("note", ""),
                    expected_version=int(request.POST.get("version", c.lock_version)),
                )
            elif action == "pay":
                services.pay(request.user, c.pk, voucher=request.POST.get("voucher", ""))
            elif action == "withdraw":
                services.withdraw(request.user, c.pk)
            elif action == "object":
                services.object_to(request.user, c.pk, text=request.POST.get("text", ""))
            elif action in ("uphold", "dismiss"):
                services.resolve_objection(
                    request.user,
                    int(request.POST.get("objection")),
                    upheld=action == "uphold",
                    note=request.POST.get("note", ""),
                )
            else:
                raise Forbidden("未知操作", "unknown action")
        except (JinfuError, ValueError, TypeError) as exc:
            if isinstance(exc, JinfuError):
                _error(request, exc)
            else:
                messages.error(request, _("参数无效"))
        else:
            messages.success(request, _("已办理"))
        return redirect("policy:claim-detail", pk=c.pk)
    today = timezone.localdate()
    return render(
        request,
        "policy/claim_detail.html",
        {
            "c": c,
            "events": c.events.select_related("actor"),
            "objections": c.objections.all(),
            "can_act": selectors.can_act(request.user, c),
            "is_owner": p.role == Role.ENTERPRISE and p.org_id == c.enterprise_id,
            "in_publicity": c.status in ("publicity", "objection")
            and (not c.publicity_until or today <= c.publicity_until),
            "statuses": dict(Claim.Status.choices),
            "attachments": _claim_files(request, c),
        },
    )


def _claim_files(request, c: Claim) -> dict | None:
    """The claim's files for its parties; None for the public reading a claim under publicity."""
    try:
        return attachments_panel(request, "policy.claim", c)
    except JinfuError:
        return None


@page
def review(request):
    _require_gov(request)
    rows = selectors.review_queue(request.user)
    if exports.requested(request):
        return exports.respond(request, export_tables.REVIEW, rows)
    return render(request, "policy/review.html", {"rows": rows})


@page
def publicity(request):
    return render(request, "policy/publicity.html", {"claims": selectors.publicity_list(request.user)})


@page
def ledger(request):
    _require_gov(request)
    period = request.GET.get("period") or None
    qs = selectors.ledger(request.user, period=period)
    if exports.requested(request) or request.GET.get("format") == "xlsx":  # format=xlsx: earlier links
        rows = list(qs)
        title = f"政策兑现拨付台账-{period}" if period else "政策兑现拨付台账"
        return exports.deliver(
            request, reports.ledger_xlsx(rows), key="policy.ledger", title=title, rows=len(rows)
        )
    pager = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "policy/ledger.html",
        {
            "page": pager,
            "period": period or "",
            "qs": f"period={period or ''}&",
            "synthetic": qs.filter(is_synthetic=True).exists(),
        },
    )


@page
def dashboard(request):
    _require_gov(request)
    period = request.GET.get("period") or None
    data = selectors.dashboard(request.user, period=period)
    return render(
        request,
        "policy/dashboard.html",
        {"d": data, "period": period or "", "statuses": dict(Claim.Status.choices)},
    )


# ---------------------------------------------------------------------------
# Government: policy and item editor, push
# ---------------------------------------------------------------------------


@page
def manage(request):
    _require_gov(request)
    policies = selectors.visible_policies(request.user).prefetch_related("items")
    return render(request, "policy/manage.html", {"policies": policies})


POLICY_FORM = (
    "title",
    "issuer",
    "doc_number",
    "division_id",
    "jurisdiction",
    "issued_on",
    "effective_from",
    "effective_to",
    "summary",
    "full_text",
    "interpretation",
)


def _faq_from(text: str) -> list[dict]:
    """FAQ in the editor: blocks separated by a blank line, first line the question."""
    out = []
    for block in (text or "").replace("\r\n", "\n").split("\n\n"):
        lines = [ln.strip() for ln in block.strip().split("\n") if ln.strip()]
        if lines:
            out.append({"q": lines[0], "a": "\n".join(lines[1:])})
    return out


@page
def policy_edit(request, pk: int | None = None):
    _require_gov(request)
    policy = selectors.get_policy(request.user, pk) if pk else None
    error = None
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in POLICY_FORM}
        data["faq"] = _faq_from(request.POST.get("faq", ""))
        tags = [t.strip() for t in request.POST.get("tags", "").replace("，", ",").split(",") if t.strip()]
        data["tags"] = [{"code": "t-" + hashlib.md5(t.encode()).hexdigest()[:10], "name": t} for t in tags]
        try:
            policy = services.save_policy(request.user, data, policy=policy)
            if request.POST.get("publish"):
                services.publish_policy(request.user, policy.pk)
        except JinfuError as exc:
            error = exc
        else:
            messages.success(request, _("已保存"))
            return redirect("policy:policy", pk=policy.pk)
    faq_text = "\n\n".join(f"{f.get('q', '')}\n{f.get('a', '')}" for f in (policy.faq if policy else []))
    return render(
        request,
        "policy/policy_edit.html",
        {
            "policy": policy,
            # what the form shows: the posted value, else the saved one (a new policy has none)
            "values": {
                k: request.POST.get(k) or (getattr(policy, k, "") if policy else "") or ""
                for k in ("title", "issuer", "doc_number")
            },
            "error": error,
            "faq_text": faq_text,
            "tags_text": ", ".join(t.name for t in policy.tags.all()) if policy else "",
            "divisions": Division.objects.filter(code__startswith="50").order_by("code"),
        },
    )


ITEM_FORM = (
    "title",
    "description",
    "mode",
    "eligibility_rule",
    "benefit_formula",
    "cap",
    "annual_budget",
    "required_materials",
    "apply_from",
    "apply_until",
    "review_days",
    "publicity_days",
    "status",
    "rule_note",
)


@page
def item_edit(request, policy_pk: int, pk: int | None = None):
    _require_gov(request)
    policy = selectors.get_policy(request.user, policy_pk)
    item = PolicyItem.objects.filter(pk=pk, policy=policy).first() if pk else None
    if pk and item is None:
        raise Http404
    error, values = None, None
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ITEM_FORM}
        try:
            item = services.save_item(request.user, policy.pk, values, item=item)
        except JinfuError as exc:
            error = exc
        else:
            messages.success(request, _("已保存"))
            return redirect("policy:policy", pk=policy.pk)
    return render(
        request,
        "policy/item_edit.html",
        {
            "policy": policy,
            "item": item,
            "v": values,
            "error": error,
            "modes": PolicyItem.Mode.choices,
            "statuses": PolicyItem.Status.choices,
            "fields": engine.POLICY_FIELDS,
            "materials_text": "\n".join(item.required_materials) if item else "",
        },
    )


@page
@require_POST
def rule_check(request):
    """htmx: validate the eligibility rule and benefit formula as the officer types; preview the count and
    total as the disclosure policy allows (who may preview is the kernel's decision, jinfu.core.disclosure:
    enterprises get 403, recorded; withheld values say why; too many previews answer 429)."""
    status = 200
    try:
        ctx = {
            "ok": True,
            **services.preview(
                request.user,
                request.POST.get("eligibility_rule", ""),
                request.POST.get("benefit_formula", ""),
                request.POST.get("cap") or None,
            ),
        }
    except Forbidden as exc:
        return HttpResponseForbidden(exc.message_zh)
    except TooManyRequests as exc:
        ctx, status = {"ok": False, "limited": True, "error": exc}, 429
    except JinfuError as exc:
        ctx = {"ok": False, "error": exc}
    return render(request, "policy/_rule_check.html", ctx, status=status)


@page
@require_POST
def push(request, pk: int):
    _require_gov(request)
    runs = services.run_push(request.user, pk)
    for r in runs:
        messages.success(
            request,
            _("主动推送完成：扫描 %(s)s 家，符合 %(e)s 家，新通知 %(n)s 家，测算合计 %(t)s 万元")
            % {"s": r.scanned, "e": r.eligible, "n": r.notified, "t": r.total_estimate},
        )
    item = PolicyItem.objects.get(pk=pk)
    return redirect("policy:policy", pk=item.policy_id)

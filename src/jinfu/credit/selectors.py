"""Credit reads, filtered by who asks: each source section of a profile passes
``check_enterprise_access`` for its scope (the enterprise itself and the operator always pass)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jinfu.core import dataversion
from jinfu.core.errors import ConsentRequired, Forbidden, NotFound
from jinfu.core.features import cached_feature_row, features_keys
from jinfu.core.models import Division, Organization, Role
from jinfu.core.principal import as_principal
from jinfu.core.selectors import check_enterprise_access, enterprise_figures
from jinfu.rules import ENTERPRISE_FIELDS

from . import models as m
from .sources import SOURCES

MAX_ROWS = 50


def freshness(fetched_at, max_age_days: int) -> str:
    if fetched_at is None:
        return "none"
    return "fresh" if (timezone.now() - fetched_at).days <= max_age_days else "stale"


def _display(rec, col):
    if col.type == "choice" and hasattr(rec, f"get_{col.name}_display"):
        return getattr(rec, f"get_{col.name}_display")()
    v = getattr(rec, col.name)
    if col.type == "bool":
        return "是" if v else "否"
    if col.type == "month" and v is not None:
        return v.strftime("%Y-%m")
    return v


def feature_list(values: dict | None) -> list[dict]:
    """Feature values with their catalog label and unit (for display)."""

    english = (get_language() or "").startswith("en")  # profile labels follow the language switch
    out = []
    for k, v in (values or {}).items():
        f = ENTERPRISE_FIELDS.get(k)
        unit = f.unit if f else ""
        if isinstance(v, bool):
            v = _("是") if v else _("否")
        elif unit == "比例" and isinstance(v, int | float):  # a ratio reads as a percentage: 0.12 → 12 %
            v, unit = v * 100, "%"
        out.append(
            {
                "name": k,
                "label": (f.label_en if english and f.label_en else f.label_zh) if f else k,
                "unit": unit,
                "source": f.source if f else "",
                "value": v,
            }
        )
    return out


def profile(actor, enterprise_pk: int) -> dict:
    """What the platform knows about one enterprise, section by section (locked without a grant)."""
    p = as_principal(actor)
    try:
        ent = Organization.objects.get(pk=enterprise_pk, kind=Organization.Kind.ENTERPRISE)
    except Organization.DoesNotExist:
        raise NotFound("企业不存在", "no such enterprise") from None
    if p.org_id != ent.pk and not p.is_admin and p.role != Role.INSTITUTION:
        raise Forbidden(
            "只有企业本身、获授权的金融机构和平台管理员可查看企业画像", "not allowed to view this profile"
        )
    allowed: dict[str, bool] = {}
    for spec in SOURCES.values():  # every view is checked (and, for an institution, recorded)
        if spec.scope not in allowed:
            try:
                check_enterprise_access(p, ent, spec.scope)
                allowed[spec.scope] = True
            except ConsentRequired:
                allowed[spec.scope] = False
    # what the allowed scopes show: read once per change of the enterprise's credit records
    sections, _hit = dataversion.cached(
        "credit.profile_sections",
        [*features_keys(ent.pk), *dataversion.table_keys(*PROFILE_TABLES)],
        (ent.pk, sorted(allowed.items()), get_language(), timezone.localdate()),
        lambda: _sections(ent, allowed),
    )
    return _profile(p, ent, sections, allowed)


#: what a profile's source sections read (the records, their batches): cached per change of these
PROFILE_TABLES = (*(f"credit.{spec.model}" for spec in SOURCES.values()), "credit.SourceBatch")


def _sections(ent, allowed: dict[str, bool]) -> list[dict]:
    sections = []
    for spec in SOURCES.values():
        sec = {
            "key": spec.key,
            "label": spec.label,
            "scope": spec.scope,
            "max_age_days": spec.max_age_days,
            "locked": not allowed[spec.scope],
            "records": [],
            "columns": [c for c in spec.columns if c.field != "uscc"],
        }
        if not sec["locked"]:
            qs = getattr(m, spec.model).objects.filter(enterprise=ent).order_by(spec.order_by)
            recs = list(qs[:MAX_ROWS])
            latest = max((r.fetched_at for r in recs), default=None)
            sec.update(
                records=[
                    {
                        "values": [getattr(r, c.field) for c in sec["columns"]],
                        # for display: choice fields by their names (纳税信用等级 A, 发明专利 …)
                        "display": [_shown(r, c.field) for c in sec["columns"]],
                        "source_system": r.source_system,
                        "fetched_at": r.fetched_at,
                        "batch_id": r.batch_id,
                        "freshness": freshness(r.fetched_at, spec.max_age_days),
                    }
                    for r in recs
                ],
                fetched_at=latest,
                freshness=freshness(latest, spec.max_age_days),
                systems=sorted({r.source_system for r in recs}),
            )
        sections.append(sec)
    return sections


def _profile(p, ent, sections: list[dict], allowed: dict[str, bool]) -> dict:
    # The derived features (and the score) need the credit_score scope.
    try:
        check_enterprise_access(p, ent, "credit_score")
        allowed["credit_score"] = True
    except ConsentRequired:
        allowed["credit_score"] = False
    snap = m.FeatureSnapshot.objects.filter(pk=ent.pk).first()
    derived_ok = allowed["credit_score"]  # the enterprise itself and the operator always pass
    # Tags are derived from the same non-public records (loans, environment, R&D): same gate.
    tags = (
        list(ent.enterprise.tags.values("code", "name")) if derived_ok and hasattr(ent, "enterprise") else []
    )
    features = snap.values if snap and derived_ok else None
    return {
        # revenue / employees / total assets: the one figure every page shows, with its source
        "figures": _figures(p, ent),
        "enterprise": ent,
        "sections": sections,
        "feature_list": feature_list(features),
        "tags": tags,
        "features": features,
        "features_updated_at": snap.updated_at if snap else None,
        "features_locked": not derived_ok,
        # grade, score, reasons, improvements, innovation score and pre-credit lines (jinfu.credit.scoring)
        "credit": _credit(p, ent) if derived_ok else None,
        "credit_score_template": "credit/_score.html",
    }


def _figures(p, ent) -> dict | None:
    """Shown under the financials scope (the same gate as on the enterprise's own page)."""
    if not hasattr(ent, "enterprise"):
        return None
    try:
        check_enterprise_access(p, ent, "financials")
    except ConsentRequired:
        return None
    return enterprise_figures(ent.pk, cached_feature_row(ent.pk))


def _shown(record, name: str):
    getter = getattr(record, f"get_{name}_display", None)
    return getter() if getter is not None else getattr(record, name)


def _credit(p, ent):
    from .scoring.selectors import credit_view

    try:
        return credit_view(p, ent)
    except Forbidden:  # government users see distributions only
        return None


#: what the distribution page reads: computed once per change of these tables and per jurisdiction
DISTRIBUTION_TABLES = (
    "credit.FeatureSnapshot",
    "credit.SourceBatch",
    "core.Organization",
    "core.EnterpriseProfile",
    "core.Division",
    "core.Zone",
    "core.Industry",
)


def distributions(actor) -> dict:
    """Counts by district and industry section over the asker's jurisdiction (government, regulator,
    operator), computed once per data change (jinfu.core.dataversion) for each jurisdiction."""
    p = as_principal(actor)
    if not (p.is_admin or p.role in (Role.GOVERNMENT, Role.REGULATOR)):
        raise Forbidden("仅政府、监管用户和平台管理员可查看", "government, regulator or operator only")
    keys = dataversion.table_keys(*DISTRIBUTION_TABLES)
    ctx, _hit = dataversion.cached("credit.distribution", keys, p.jurisdiction, lambda: _distributions(p))
    return ctx


def _distributions(p) -> dict:

    snaps = m.FeatureSnapshot.objects.select_related("enterprise__enterprise__industry").filter(
        p.jurisdiction.q("enterprise__division", "enterprise__zone")
    )
    names = dict(Division.objects.values_list("code", "name"))
    grades = ["A", "B", "M", "C", "D"]
    by_div: dict[str, dict] = {}
    by_ind: dict[str, dict] = {}
    for s in snaps.iterator(chunk_size=5000):
        o = s.enterprise
        v = s.values or {}
        div = names.get(o.division_id, o.division_id or "—")
        sec = o.enterprise.industry.section if hasattr(o, "enterprise") and o.enterprise.industry_id else "—"
        for key, d in ((div, by_div), (sec, by_ind)):
            row = d.setdefault(key, {"n": 0, "dishonest": 0, "abnormal": 0, **dict.fromkeys(grades, 0)})
            row["n"] += 1
            row["dishonest"] += bool(v.get("dishonest_debtor"))
            row["abnormal"] += bool(v.get("abnormal_listed"))
            if v.get("tax_grade") in row:
                row[v["tax_grade"]] += 1

    def chart(d):
        keys = sorted(d)
        return {
            "labels": keys,
            "series": [{"name": f"纳税 {g}", "data": [d[k][g] for k in keys]} for g in grades]
            + [
                {"name": "失信被执行人", "data": [d[k]["dishonest"] for k in keys]},
                {"name": "经营异常", "data": [d[k]["abnormal"] for k in keys]},
            ],
        }

    batches = m.SourceBatch.objects.values("source").annotate(
        n=Count("id"), applied=Count("id", filter=Q(status="applied"))
    )
    return {
        "by_division": by_div,
        "by_industry": by_ind,
        "division_chart": chart(by_div),
        "industry_chart": chart(by_ind),
        "batches": list(batches),
        "grades": grades,
    }


# ---------------------------------------------------------------------------
# For the risk module (违规度): counts for its batch, records for a regulator's firm page
# ---------------------------------------------------------------------------

VIOLATION_COUNTS = ("penalties_3y", "judgments_3y", "dishonest_debtor", "abnormal_listed")


def violation_counts(org_ids=None) -> list[dict]:
    """Per enterprise: penalties and judgments of the last three years, dishonest-debtor and abnormal
    listings, as the credit feature snapshot holds them. A batch input (no principal): its output, the
    risk index, is shown to regulators only."""
    qs = m.FeatureSnapshot.objects.all()
    if org_ids is not None:
        qs = qs.filter(pk__in=list(org_ids))
    return [
        {"org_id": pk, **{k: values.get(k) for k in VIOLATION_COUNTS}}
        for pk, values in qs.values_list("enterprise_id", "values")
    ]


def penalty_records(org_ids, *, since=None) -> list[dict]:
    """The administrative penalties of these enterprises (dated on or after ``since``): a batch input for
    another module's own rule (the green module's risk warning reads the authority), no principal; what
    reaches people is decided and filtered by that module."""
    qs = m.PenaltyRecord.objects.filter(enterprise_id__in=list(org_ids))
    if since is not None:
        qs = qs.filter(date__gte=since)
    return [
        {"id": pk, "org_id": org, "date": d, "authority": a, "decision_no": no, "reason": r, "amount": amt}
        for pk, org, d, a, no, r, amt in qs.order_by("date", "pk").values_list(
            "pk", "enterprise_id", "date", "authority", "decision_no", "reason", "amount"
        )
    ]


def violation_records(actor, enterprise_pk: int, limit: int = MAX_ROWS) -> list[dict]:
    """The penalty, court and abnormal-listing records behind those counts, for a regulator whose
    jurisdiction covers the enterprise (the platform operator too)."""
    p = as_principal(actor)
    org = Organization.objects.filter(pk=enterprise_pk, kind=Organization.Kind.ENTERPRISE).first()
    if org is None:
        raise NotFound("企业不存在", "enterprise not found")
    if not (p.is_admin or (p.role == Role.REGULATOR and p.jurisdiction.covers(org.division_id, org.zone_id))):
        raise Forbidden("无权查看该企业的违规记录", "not allowed to read this enterprise's records")
    out = [
        {
            "kind": "penalty",
            "label": "行政处罚",
            "date": r.date,
            "ref": r.decision_no,
            "text": r.reason or r.authority,
        }
        for r in m.PenaltyRecord.objects.filter(enterprise_id=enterprise_pk).order_by("-date")[:limit]
    ]
    out += [
        {"kind": "court", "label": r.get_kind_display(), "date": r.date, "ref": r.case_no, "text": ""}
        for r in m.CourtRecord.objects.filter(enterprise_id=enterprise_pk).order_by("-date")[:limit]
    ]
    out += [
        {"kind": "abnormal", "label": "经营异常名录", "date": r.listed_on, "ref": "", "text": r.reason}
        for r in m.AbnormalListing.objects.filter(enterprise_id=enterprise_pk, removed_on__isnull=True)[
            :limit
        ]
    ]
    return sorted(out, key=lambda r: r["date"], reverse=True)[:limit]

"""Credit writes: apply a batch of source records (one transaction), pull/import through the
connectors, refresh the stored feature snapshot of the affected enterprises, apply tag rules, export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import polars as pl
from django.db import transaction
from django.utils import timezone

from jinfu.core.imports import registry
from jinfu.core.imports.engine import Issue, Lookups, Source, records_sheet
from jinfu.core.models import EnterpriseProfile, Organization, Tag

from . import models as m
from .connectors import rest
from .features import derive
from .imports import BY_SOURCE
from .sources import SOURCES


def _enterprises(usccs: set[str]) -> dict[str, dict]:
    """The enterprises on the platform among these USCCs: {uscc: {"id": organization id}}."""
    found = Organization.objects.filter(kind=Organization.Kind.ENTERPRISE, uscc__in=list(usccs))
    return {u: {"id": pk} for u, pk in found.values_list("uscc", "pk")}


def prepare_source_import(_p) -> Lookups:
    """Every row names an enterprise registered on the platform (its id goes with the record); an entry
    leaves the abnormal list no earlier than it entered it."""

    def check_row(rec: dict, old: dict | None, _existing: dict) -> list[Issue]:
        if old is None:
            return [Issue("uscc", "enterprise.unknown")]
        rec["org_id"] = old["id"]
        if rec.get("removed_on") and rec["removed_on"] < rec["listed_on"]:
            return [Issue("removed_on", "order.removed_before_listed")]
        return []

    return Lookups(today=timezone.localdate(), load_existing=_enterprises, check_row=check_row)


def apply_records(records: list[dict], *, actor=None, batch: m.SourceBatch) -> dict[str, int]:
    apply_batch(batch, records)
    return {"applied": batch.rows}


def _run(batch: m.SourceBatch, source: Source, filename: str = "") -> m.SourceBatch:
    """Validate (the shared dry run) and apply only a batch without any problem."""
    importer = BY_SOURCE[batch.source]
    res = registry.dry_run(importer, source, filename, actor=None)
    if not res.ok:
        return _fail(batch, res.errors)
    registry.commit(
        importer,
        res,
        actor=None,
        user=batch.created_by,
        event={"source_system": batch.source_system},
        batch=batch,
    )
    return batch


def _fail(batch: m.SourceBatch, errors: list[dict]) -> m.SourceBatch:
    batch.status = m.SourceBatch.Status.FAILED
    batch.errors = errors[:1000]
    batch.finished_at = timezone.now()
    batch.save()
    return batch


def apply_batch(batch: m.SourceBatch, records: list[dict]) -> m.SourceBatch:
    """Upsert validated records (natural key) in one transaction, then refresh the affected features."""
    spec = SOURCES[batch.source]
    model = getattr(m, spec.model)
    now = timezone.now()
    key_fields = ["enterprise" if k == "uscc" else k for k in spec.natural_key]
    value_fields = [c.field for c in spec.columns if c.field != "uscc" and c.field not in spec.natural_key]
    objs = [
        model(
            enterprise_id=r["org_id"],
            batch=batch,
            source_system=batch.source_system,
            fetched_at=now,
            **{c.field: r[c.field] for c in spec.columns if c.field != "uscc"},
        )
        for r in records
    ]
    with transaction.atomic():
        batch.save()
        model.objects.bulk_create(
            objs,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=key_fields,
            update_fields=[*value_fields, "batch", "source_system", "fetched_at"],
        )
        batch.status = m.SourceBatch.Status.APPLIED
        batch.rows = len(objs)
        batch.finished_at = timezone.now()
        batch.save()
        refresh_features({r["org_id"] for r in records})
    return batch


def import_file(source: str, data: bytes, filename: str, *, source_system: str, user=None) -> m.SourceBatch:
    """Validate a template file; apply it only if every row is valid."""
    batch = m.SourceBatch(
        source=source,
        source_system=source_system,
        adapter=m.SourceBatch.Adapter.FILE,
        filename=filename[:255],
        created_by=user if getattr(user, "pk", None) else None,
    )
    return _run(batch, data, filename)


def pull_rest(
    source: str, cfg: rest.RestConfig, *, source_system: str, user=None, sleep=None
) -> m.SourceBatch:
    """Pull every page, map and validate; apply only if the whole pull is valid."""
    batch = m.SourceBatch(
        source=source,
        source_system=source_system,
        adapter=m.SourceBatch.Adapter.REST,
        filename=cfg.endpoint[:255],
        created_by=user if getattr(user, "pk", None) else None,
    )
    spec = SOURCES[source]
    try:
        recs = rest.fetch(cfg, **({"sleep": sleep} if sleep else {}))
        rows = rest.map_records(recs, cfg, [c.field for c in spec.columns if c.required])
    except rest.PullFailed as exc:
        return _fail(batch, [exc.as_problem()])
    return _run(batch, records_sheet(BY_SOURCE[source], (row for _i, row in rows), fmt="rest"))


def pull_configured(source: str, user=None) -> m.SourceBatch:
    c = m.ConnectorConfig.objects.get(source=source, active=True)
    return pull_rest(source, rest.RestConfig.from_model(c), source_system=c.source_system, user=user)


# ---------------------------------------------------------------------------
# Feature refresh
# ---------------------------------------------------------------------------


def _frame(qs, cols: list[str], rename: dict[str, str] | None = None) -> pl.DataFrame:
    rows = list(qs.values_list(*cols))
    names = [(rename or {}).get(c, c) for c in cols]
    if not rows:
        return pl.DataFrame(schema=names)
    return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)


def load_frames(org_ids: Iterable[int] | None = None) -> dict[str, pl.DataFrame]:
    """The source records (and verified statements) of the given enterprises as Polars frames.

    Self-reported statements are left out: features that rules and tags read (研发投入强度 …) come from
    authoritative data only (docs/features.md)."""
    from jinfu.listing.selectors import verified_statements

    def q(model, field="enterprise_id"):
        qs = model.objects.all()
        return qs.filter(**{f"{field}__in": list(org_ids)}) if org_ids is not None else qs

    e = {"enterprise_id": "org_id"}
    return {
        "tax": _frame(q(m.TaxRecord), ["enterprise_id", "year", "credit_grade", "tax_paid"], e),
        "social_insurance": _frame(q(m.SocialInsuranceRecord), ["enterprise_id", "month", "insured"], e),
        "utility": _frame(q(m.UtilityRecord), ["enterprise_id", "month", "kind", "cost"], e),
        "procurement": _frame(q(m.ProcurementOrder), ["enterprise_id", "date", "amount"], e),
        "court": _frame(q(m.CourtRecord), ["enterprise_id", "kind", "date", "closed"], e),
        "penalty": _frame(q(m.PenaltyRecord), ["enterprise_id", "date"], e),
        "abnormal": _frame(q(m.AbnormalListing), ["enterprise_id", "listed_on", "removed_on"], e),
        "ip": _frame(q(m.IPRecord), ["enterprise_id", "kind"], e),
        "environment": _frame(q(m.EnvironmentalRating), ["enterprise_id", "year", "rating"], e),
        "financials": _frame(
            verified_statements(org_ids),
            [
                "enterprise_id",
                "year",
                "revenue",
                "net_profit",
                "total_assets",
                "net_assets",
                "rd_expense",
                "operating_cash_flow",
            ],
            e,
        ),
    }


def refresh_features(org_ids: Iterable[int] | None = None, *, today: dt.date | None = None) -> int:
    """Recompute the credit features of the given enterprises (all if None) into FeatureSnapshot."""
    today = today or timezone.localdate()
    ents = EnterpriseProfile.objects.all()
    if org_ids is not None:
        org_ids = list(org_ids)
        ents = ents.filter(pk__in=org_ids)
    ids = list(ents.values_list("pk", flat=True))
    if not ids:
        return 0
    n = 0
    for i in range(0, len(ids), 20_000):
        chunk = ids[i : i + 20_000]
        df = derive(chunk, load_frames(chunk), today)
        snaps = [m.FeatureSnapshot(enterprise_id=r.pop("org_id"), values=r) for r in df.to_dicts()]
        with transaction.atomic():
            m.FeatureSnapshot.objects.bulk_create(
                snaps,
                batch_size=2000,
                update_conflicts=True,
                unique_fields=["enterprise"],
                update_fields=["values", "updated_at"],
            )
        n += len(snaps)
    return n


def export_features(path: str) -> int:
    """Write the whole enterprise feature table (profile + credit columns) to Parquet."""
    from jinfu.core.features import enterprise_features

    df = enterprise_features()
    df.write_parquet(path)
    return df.height


# ---------------------------------------------------------------------------
# Tags as rules
# ---------------------------------------------------------------------------

SEED_TAGS = [
    # code, name, rule, mode, basis
    (
        "specialized",
        "专精特新",
        "size_class IN ('medium', 'small', 'micro') AND established_years >= 2 "
        "AND rd_intensity >= 3 AND invention_patents + utility_patents + software_copyrights >= 1 "
        "AND revenue >= 1000",
        "add",
        "工信部《优质中小企业梯度培育管理暂行办法》（工信部企业〔2022〕63号）专精特新中小企业认定条件的可量化部分："
        "从事特定细分市场 2 年以上、研发费用占营业收入比重不低于 3%、拥有有效知识产权、营业收入不低于 1000 万元（简化）；"
        "官方名单导入的标签保留（只添加）。",
    ),
    (
        "high_tech",
        "高新技术企业",
        "established_years >= 1 AND invention_patents + utility_patents + "
        "software_copyrights >= 1 AND ((revenue <= 5000 AND rd_intensity >= 5) OR (revenue > 5000 AND revenue <= 20000 "
        "AND rd_intensity >= 4) OR (revenue > 20000 AND rd_intensity >= 3))",
        "add",
        "《高新技术企业认定管理办法》（国科发火〔2016〕32号）第十一条：注册一年以上、拥有知识产权、近三年研发费用占销售收入比例"
        "（≤5000万元 5%，5000万–2亿元 4%，>2亿元 3%）；本规则按最近一年计算，为候选标记，认定以科技部门名单为准。",
    ),
    (
        "tech_sme",
        "科技型中小企业",
        "size_class IN ('medium', 'small', 'micro') AND rd_intensity >= 3 "
        "AND invention_patents + utility_patents + software_copyrights >= 1",
        "add",
        "《科技型中小企业评价办法》（国科发政〔2017〕115号）：中小企业、研发投入占比与知识产权条件（简化）。",
    ),
    (
        "first_loan",
        "首贷户",
        "COALESCE(is_first_loan, TRUE) = TRUE",
        "sync",
        "人民银行首贷户口径：此前无贷款记录的企业；本平台按平台内已放款申请判断（无外部征信数据时）。",
    ),
    (
        "green",
        "绿色企业",
        "env_rating IN ('绿', '蓝') AND penalties_3y = 0",
        "sync",
        "环境信用评价为绿（环保诚信）或蓝（环保良好），且近三年无行政处罚（平台口径；项目绿色认定见绿色金融模块）。",
    ),
    (
        "above_scale",
        "规上企业",
        "(industry_section IN ('B', 'C', 'D') AND revenue >= 2000) "
        "OR (industry_section = 'F' AND revenue >= 5000) OR (industry_section = 'G' AND revenue >= 2000) "
        "OR (industry_section IN ('H') AND revenue >= 200) OR (industry_section IN ('I', 'L', 'M', 'N', 'O', 'P', 'Q', 'R') AND revenue >= 1000)",
        "sync",
        "国家统计局规模以上企业统计口径：工业（采矿、制造、电力燃气水）主营业务收入 2000 万元及以上；建筑业 5000 万元（资质等级建筑业）；"
        "批发业 2000 万元（零售 500 万元，此处按批发简化）；住宿餐饮 200 万元；重点服务业 1000 万元（部分行业 500 万元，此处简化）。",
    ),
]


def seed_tag_rules() -> int:
    from jinfu.rules import ENTERPRISE_FIELDS, compile_rule

    n = 0
    for code, name, text, mode, basis in SEED_TAGS:
        compile_rule(text, ENTERPRISE_FIELDS)  # fail loudly on a broken seed
        tag, _ = Tag.objects.get_or_create(code=code, defaults={"name": name})
        _, created = m.TagRule.objects.get_or_create(
            tag=tag, defaults={"rule": text, "mode": mode, "basis": basis}
        )
        n += created
    return n


def apply_tags(org_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Evaluate every active tag rule over the feature table and assign EnterpriseProfile.tags.

    ``sync`` rules add and remove; ``add`` rules only add (tags imported from official lists stay). A tag
    with a live government certification (TagCertification) is never removed by a rule.
    Returns how many enterprises carry each tag after the run.
    """
    from jinfu.core.features import enterprise_features
    from jinfu.core.selectors import certified_enterprises
    from jinfu.rules import ENTERPRISE_FIELDS, compile_rule

    df = enterprise_features(org_ids)
    if df.is_empty():
        return {}
    through = EnterpriseProfile.tags.through
    out = {}
    with transaction.atomic():
        for tr in m.TagRule.objects.filter(active=True).select_related("tag"):
            rule = compile_rule(tr.rule, ENTERPRISE_FIELDS)
            hit = df.select(pl.col("org_id"), rule.to_polars().fill_null(False).alias("_hit"))
            yes = set(hit.filter(pl.col("_hit"))["org_id"].to_list())
            scope = through.objects.filter(tag=tr.tag)
            if org_ids is not None:
                scope = scope.filter(enterpriseprofile_id__in=df["org_id"].to_list())
            have = set(scope.values_list("enterpriseprofile_id", flat=True))
            through.objects.bulk_create(
                [through(enterpriseprofile_id=o, tag=tr.tag) for o in yes - have],
                batch_size=5000,
                ignore_conflicts=True,
            )
            if tr.mode == m.TagRule.Mode.SYNC:
                keep = certified_enterprises(tr.tag.code)
                scope.filter(enterpriseprofile_id__in=list(have - yes - keep)).delete()
            out[tr.tag.code] = through.objects.filter(tag=tr.tag).count()
    return out

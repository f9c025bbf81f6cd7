"""Risk writes, in transactions and audited: signal imports (all rows or none), the batch that recomputes
every index, and an analyst's colour override."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from django.db import transaction
from django.utils import timezone

from jinfu.core.audit import record_event
from jinfu.core.errors import Forbidden, NotFound, ValidationFailed
from jinfu.core.imports import registry as import_registry
from jinfu.core.imports.engine import Issue, Lookups
from jinfu.core.models import EnterpriseProfile, Organization, Role
from jinfu.core.principal import as_principal
from jinfu.credit import selectors as credit

from . import engine, imports, reference
from .models import (
    ColourCount,
    ColourOverride,
    ModuleSignal,
    Party,
    RegistrationInfo,
    RiskScore,
    Signal,
    SignalBatch,
)

REGULATOR_KINDS = ("registration", "public_text", "complaint", "hotline")
MIN_REASON = 4


def may_analyse(p) -> bool:
    return p.is_admin or p.role == Role.REGULATOR


def may_import(p, kind: str) -> bool:
    if kind == "bank_alert":
        return p.is_admin or p.role == Role.INSTITUTION
    return kind in REGULATOR_KINDS and may_analyse(p)


def _enterprises_in_reach(p):
    qs = Organization.objects.filter(kind=Organization.Kind.ENTERPRISE)
    if p is None:
        return qs.none()  # a run without a principal reports on no enterprise
    if p.is_admin or p.role == Role.INSTITUTION:
        return qs  # a bank reports on its customers wherever they are registered
    return qs.filter(p.jurisdiction.q("division", "zone"))


def _lookups(p, kind: str) -> tuple[dict[str, int], dict[str, int]]:
    reach = _enterprises_in_reach(p)
    if kind == "bank_alert":
        accounts = {
            imports.norm_account(v): org
            for org, v in Party.objects.filter(kind=Party.Kind.ACCOUNT, enterprise__in=reach).values_list(
                "enterprise_id", "value"
            )
        }
        return {}, accounts
    return dict(reach.exclude(uscc=None).values_list("uscc", "pk")), {}


def import_signals(
    actor, kind: str, data: bytes, filename: str, *, source: str = "", commit: bool = True
) -> dict:
    """Check a file through the importer registry; when every row is right (and ``commit``), write them all
    in one transaction (``registry.commit``). Returns {ok, rows, written, errors}; errors name row, column,
    value and rule in both languages."""
    p = as_principal(actor)
    importer = imports.BY_KIND.get(kind)
    if importer is None:
        raise NotFound("没有这种导入", "no such import kind", field="kind")
    if not may_import(p, kind):
        raise Forbidden("无权导入该类风险信号", "not allowed to import this kind of risk signal")
    res = import_registry.dry_run(importer, data, filename, actor=p)
    ok = res.ok and res.total_rows > 0
    result = {"ok": ok, "rows": res.total_rows, "written": 0, "errors": res.errors}
    if not ok or not commit:
        return result
    out = import_registry.commit(
        importer,
        res,
        actor=p,
        event={"action": "risk_import", "signal_kind": kind, "file": filename[:200]},
        source=source,
        filename=filename,
    )
    result["written"] = out["written"]
    return result


# The registry's callables, one set per signal file (risk/imports.py names them).


def _can_import(kind: str):
    def can(p) -> bool:
        return p is not None and may_import(p, kind)

    return can


def _preparer(kind: str):
    def prepare(p) -> Lookups:
        """The row checks of a signal file: the enterprise (or the account's enterprise) must be one the
        importer may report on. One message for "unknown" and "outside your reach": a refusal says no
        more about another district's firms than an unknown code would."""
        usccs, accounts = _lookups(p, kind)

        def check_row(rec: dict, _old, _existing) -> list[Issue]:
            if kind == "bank_alert":
                org = accounts.get(imports.norm_account(rec["account"]))
                if org is None:
                    return [Issue("account", "risk.unknown_account")]
            else:
                org = usccs.get(rec["enterprise_uscc"])
                if org is None:
                    return [Issue("enterprise_uscc", "risk.unknown_enterprise")]
            rec["org_id"] = org
            return []

        return Lookups(today=timezone.localdate(), check_row=check_row)

    return prepare


def _applier(kind: str):
    def apply(records: list[dict], *, actor=None, source: str = "", filename: str = "") -> dict:
        """Write a clean file as one SignalBatch (the provenance of every signal), inside the registry's
        transaction."""
        p = as_principal(actor) if actor is not None else None
        org = p.organization if p is not None else None
        src = (source or "").strip()[:200] or (org.name if org else "平台管理员")
        batch = SignalBatch.objects.create(
            kind=kind,
            source=src,
            filename=(filename or "")[:255],
            rows=len(records),
            submitted_by=actor,
            submitter_org=org,
        )
        return {"written": _APPLY[kind](batch, records), "batch": batch.pk}

    return apply


def _signal(batch, rec, kind, text, **kw) -> Signal:
    return Signal(
        enterprise_id=rec["org_id"], kind=kind, text=text, occurred_on=rec["occurred_on"], batch=batch, **kw
    )


def _apply_public_text(batch, records) -> int:
    objs = [
        _signal(
            batch,
            r,
            Signal.Kind.PUBLIC_TEXT,
            r["text"],
            channel=r["channel"],
            promised_return=r.get("promised_return"),
        )
        for r in records
    ]
    Signal.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def _apply_complaint(batch, records) -> int:
    objs = [_signal(batch, r, r["kind"], r["text"]) for r in records]
    Signal.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def _apply_hotline(batch, records) -> int:
    objs = [
        _signal(batch, r, Signal.Kind.HOTLINE, r["text"], channel=f"12345 {r['ticket']}"[:32])
        for r in records
    ]
    Signal.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


PATTERN_LABELS = {"small_inflows": "大量个人小额转入", "rapid_outflow": "资金快进快出", "other": "其他"}


def _apply_bank_alert(batch, records) -> int:
    objs = []
    for r in records:
        text = f"{PATTERN_LABELS[r['pattern']]}：{r['count']} 笔，{r['amount']} 万元" + (
            f"；{r['note']}" if r.get("note") else ""
        )
        objs.append(_signal(batch, r, Signal.Kind.BANK_ALERT, text, channel=r["pattern"], amount=r["amount"]))
    Signal.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def _split(v: str | None) -> list[str]:
    if not v:
        return []
    import re

    return [x.strip() for x in re.split(r"[;；,，、|]", v) if x.strip()]


def _apply_registration(batch, records) -> int:
    today = timezone.localdate()
    for r in records:
        org = r["org_id"]
        if "business_scope" in r:
            info, _ = RegistrationInfo.objects.get_or_create(enterprise_id=org)
            if info.business_scope != r["business_scope"]:
                info.business_scope, info.batch = r["business_scope"], batch
                info.save()
        if "shareholders" in r:
            Party.objects.filter(enterprise_id=org, kind=Party.Kind.SHAREHOLDER).delete()
        parties = [(Party.Kind.SHAREHOLDER, s) for s in _split(r.get("shareholders"))]
        parties += [(Party.Kind.EMAIL, r["email"].lower())] if r.get("email") else []
        parties += [(Party.Kind.ACCOUNT, imports.norm_account(r["account"]))] if r.get("account") else []
        Party.objects.bulk_create(
            [Party(enterprise_id=org, kind=k, value=v[:255], batch=batch) for k, v in parties],
            ignore_conflicts=True,
        )
        if r.get("change_item"):
            text = r["change_item"] + (f"：{r['business_scope']}" if r.get("business_scope") else "")
            Signal.objects.create(
                enterprise_id=org,
                kind=Signal.Kind.REGISTRATION_CHANGE,
                text=text,
                occurred_on=r.get("changed_on") or today,
                batch=batch,
            )
    return len(records)


_APPLY = {
    "registration": _apply_registration,
    "public_text": _apply_public_text,
    "complaint": _apply_complaint,
    "hotline": _apply_hotline,
    "bank_alert": _apply_bank_alert,
}

prepare_registration, apply_registration, can_import_registration = (
    _preparer("registration"),
    _applier("registration"),
    _can_import("registration"),
)
prepare_public_text, apply_public_text, can_import_public_text = (
    _preparer("public_text"),
    _applier("public_text"),
    _can_import("public_text"),
)
prepare_complaint, apply_complaint, can_import_complaint = (
    _preparer("complaint"),
    _applier("complaint"),
    _can_import("complaint"),
)
prepare_hotline, apply_hotline, can_import_hotline = (
    _preparer("hotline"),
    _applier("hotline"),
    _can_import("hotline"),
)
prepare_bank_alert, apply_bank_alert, can_import_bank_alert = (
    _preparer("bank_alert"),
    _applier("bank_alert"),
    _can_import("bank_alert"),
)


# ---------------------------------------------------------------------------
# The batch
# ---------------------------------------------------------------------------


def load_frames(org_ids=None) -> dict[str, pl.DataFrame]:
    """The engine's inputs from the database (all enterprises, or some)."""
    ents = Organization.objects.filter(kind=Organization.Kind.ENTERPRISE)
    if org_ids is not None:
        ents = ents.filter(pk__in=org_ids)
    scope = dict(RegistrationInfo.objects.values_list("enterprise_id", "business_scope"))
    rows = list(ents.values_list("pk", "name", "division_id", "address", "contact_phone"))
    firms = engine.frame(
        [(pk, name, scope.get(pk, ""), div, addr) for pk, name, div, addr, _ in rows], engine.FIRMS
    )
    ids = [r[0] for r in rows]
    sig = Signal.objects.filter(enterprise_id__in=ids) if org_ids is not None else Signal.objects.all()
    mod = ModuleSignal.objects.filter(dimension="violations")
    mod = mod.filter(enterprise_id__in=ids) if org_ids is not None else mod
    signals = engine.frame(
        [
            (o, k, t, float(r) if r is not None else None, d)
            for o, k, t, r, d in sig.values_list(
                "enterprise_id", "kind", "text", "promised_return", "occurred_on"
            )
        ]
        + [
            (o, engine.MODULE_VIOLATION, t, None, d)
            for o, t, d in mod.values_list("enterprise_id", "text", "occurred_on")
        ],
        engine.SIGNALS,
    )
    attrs = [(pk, "address", addr) for pk, _, _, addr, _ in rows if addr]
    attrs += [(pk, "phone", phone) for pk, _, _, _, phone in rows if phone]
    profiles = EnterpriseProfile.objects.filter(organization_id__in=ids).values_list(
        "organization_id", "legal_representative", "legal_rep_id_number"
    )
    # the ID number names one person; a bare name (张伟) may be many, so it links only without a number
    attrs += [(pk, "legal_rep", idn or name) for pk, name, idn in profiles if idn or name]
    party = Party.objects.filter(enterprise_id__in=ids).exclude(kind=Party.Kind.ACCOUNT)
    attrs += list(party.values_list("enterprise_id", "kind", "value"))
    violations = engine.frame(credit.violation_counts(ids), engine.VIOLATIONS)
    return {
        "firms": firms,
        "signals": signals,
        "attrs": engine.frame(attrs, engine.ATTRIBUTES),
        "violations": violations,
    }


def recompute(today: dt.date | None = None) -> dict[str, int]:
    """Score every enterprise, keep analysts' overrides, record today's counts per division."""
    today = today or timezone.localdate()
    params = reference.params()
    f = load_frames()
    edges = engine.edges_from_attributes(f["attrs"], params.max_group_size)
    result = engine.run(f["firms"], f["signals"], f["violations"], edges, params, today)
    streets = dict(
        f["firms"]
        .select("org_id", engine.street_expr(pl.col("address")).fill_null("").alias("s"))
        .iter_rows()
    )
    overrides = _active_overrides()
    now = timezone.now()
    objs = []
    for row in result.iter_rows(named=True):
        measures = {
            k: row[k]
            for k in (
                "max_return",
                "complaints_365",
                "texts_365",
                "bank_alerts_365",
                "module_365",
                "n_words",
                "words",
                "art9_own",
                "records",
            )
        } | {f"pts_{d}": row[f"pts_{d}"] for d in engine.DIMENSIONS}
        objs.append(
            RiskScore(
                enterprise_id=row["org_id"],
                index=Decimal(str(row["index"])),
                computed_colour=row["colour"],
                colour=overrides.get(row["org_id"], row["colour"]),
                street=streets.get(row["org_id"], "")[:32],
                measures=measures,
                hop=row["hop"] or 0,
                via_id=row["via"],
                cluster=row["cluster"],
                cluster_size=row["cluster_size"] or 0,
                versions=params.versions,
                computed_at=now,
            )
        )
    with transaction.atomic():
        RiskScore.objects.all().delete()
        RiskScore.objects.bulk_create(objs, batch_size=2000)
        _record_counts(today)
    counts = dict.fromkeys(engine.COLOURS, 0)
    for o in objs:
        counts[o.colour] += 1
    return counts


def _active_overrides() -> dict[int, str]:
    out: dict[int, str] = {}
    for org, colour in ColourOverride.objects.order_by("created_at", "pk").values_list(
        "enterprise_id", "colour"
    ):
        out[org] = colour  # the latest wins
    return out


def _record_counts(today: dt.date) -> None:
    from django.db.models import Count, Q

    ColourCount.objects.filter(on=today).delete()
    rows = (
        RiskScore.objects.exclude(enterprise__division=None)
        .values("enterprise__division")
        .annotate(
            red=Count("pk", filter=Q(colour="red")),
            yellow=Count("pk", filter=Q(colour="yellow")),
            green=Count("pk", filter=Q(colour="green")),
        )
    )
    ColourCount.objects.bulk_create(
        [
            ColourCount(
                on=today,
                division_id=r["enterprise__division"],
                red=r["red"],
                yellow=r["yellow"],
                green=r["green"],
            )
            for r in rows
        ]
    )


# ---------------------------------------------------------------------------
# The signal sink (core/feeds.py): other modules' signals, declared in their contracts
# ---------------------------------------------------------------------------

SINK_DIMENSIONS = ("violations",)  # the dimensions a handed-over signal may count in


def receive_signals(signals) -> dict[str, int]:
    """The risk module's signal sink (``RiskConfig.contract.signal_sinks``): keep each signal once per
    (source, record), with its provenance; it counts in its dimension (违规度) at the next recompute and
    shows on the firm's page. A signal naming an unknown dimension or an enterprise that is not on the
    platform is refused (counted as ``refused``), never guessed. Idempotent: a second delivery adds nothing."""
    known_orgs = set(
        Organization.objects.filter(
            kind=Organization.Kind.ENTERPRISE, pk__in={s.enterprise_id for s in signals}
        ).values_list("pk", flat=True)
    )
    fresh, refused = [], 0
    for s in signals:
        if s.dimension not in SINK_DIMENSIONS or s.enterprise_id not in known_orgs:
            refused += 1
            continue
        fresh.append(
            ModuleSignal(
                source=s.source[:64],
                record=s.record[:64],
                enterprise_id=s.enterprise_id,
                occurred_on=s.occurred_on,
                kind=s.kind[:32],
                kind_label=s.kind_label[:64],
                text=s.text[:1000],
                dimension=s.dimension,
                is_synthetic=s.is_synthetic,
            )
        )
    with transaction.atomic():
        before = ModuleSignal.objects.count()
        ModuleSignal.objects.bulk_create(fresh, ignore_conflicts=True)
        received = ModuleSignal.objects.count() - before
    if received:
        record_event("admin_action", action="risk_module_signals", received=received)
    return {"received": received, "known": len(fresh) - received, "refused": refused}


def override_colour(actor, enterprise_pk: int, colour: str, reason: str) -> ColourOverride:
    """An analyst sets a firm's colour with a reason; the computed colour stays on record beside it."""
    from .selectors import score_for

    p = as_principal(actor)
    if not may_analyse(p) or p.user is None:
        raise Forbidden(
            "只有监管部门分析人员可以调整预警颜色", "only a regulator's analyst may override a colour"
        )
    score = score_for(p, enterprise_pk)  # raises NotFound outside the jurisdiction
    if colour not in engine.COLOURS:
        raise ValidationFailed(
            "预警颜色须为红色、黄色或绿色", "colour must be red, yellow or green", field="colour"
        )
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailed(
            f"请填写调整理由（至少 {MIN_REASON} 个字）",
            f"a reason of at least {MIN_REASON} characters is required",
            field="reason",
        )
    if len(reason) > 500:
        raise ValidationFailed("调整理由最多 500 字", "the reason is at most 500 characters", field="reason")
    with transaction.atomic():
        ov = ColourOverride.objects.create(
            enterprise_id=enterprise_pk, colour=colour, reason=reason, created_by=p.user
        )
        RiskScore.objects.filter(pk=score.pk).update(colour=colour)
    record_event(
        "admin_action",
        user=p.user,
        action="risk_override",
        enterprise=enterprise_pk,
        computed=score.computed_colour,
        colour=colour,
        reason=reason,
    )
    return ov

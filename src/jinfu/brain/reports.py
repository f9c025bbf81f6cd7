"""监测报告: a Word report (with charts and tables) and an Excel workbook of all figures for a plan and
year, generated as a background job. Synthetic figures are labelled in both."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from jinfu.core.errors import ValidationFailed
from jinfu.core.principal import as_principal

from . import selectors
from .models import Actual, MonitoringReport

STATUS_ZH = {
    "achieved": "已实现",
    "ahead": "超前",
    "on_track": "符合序时进度",
    "behind": "滞后",
    "no_data": "暂无数据",
    "no_reference": "缺少参照",
    "needs_ranking": "需排名数据",
}
TASK_STATUS_ZH = {
    "not_started": "未开始",
    "on_track": "正常推进",
    "at_risk": "存在风险",
    "overdue": "已逾期",
    "done": "已完成",
}
SYNTHETIC_NOTE = "本报告中标注“示例数据”的实际值为系统生成的合成数据，仅供演示，不是真实统计。"
TASKS_HIDDEN_NOTE = (
    "督办任务仅向规划覆盖区县（功能区）和市级用户展示；按报告申请人的权限，本报告不含督办任务。"
)


def request_report(actor, *, plan_code: str, year) -> MonitoringReport:
    p = as_principal(actor)
    plan = selectors.get_plan(p, plan_code)
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationFailed("年份应为整数", "The year must be a whole number", field="year") from None
    first = plan.base_year or plan.period_start
    if not first <= year <= plan.period_end:
        raise ValidationFailed(
            f"年份应在 {first}–{plan.period_end} 之间",
            f"The year must be within {first}-{plan.period_end}",
            field="year",
        )
    job = MonitoringReport.objects.create(plan=plan, year=year, created_by=p.user)
    from .tasks import generate_monitoring_report

    transaction.on_commit(lambda: generate_monitoring_report.enqueue(job.pk))
    return job


def _fmt(v, digits=2):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.{digits}f}".rstrip("0").rstrip(".") if abs(v) < 1e12 else f"{v:.3e}"
    return str(v)


def _pct(v):
    return "—" if v is None else f"{v * 100:.1f}%"


def _tasks(job: MonitoringReport, actor) -> list | None:
    """The plan's tasks as the requester's task board shows them; None when they are not visible to it."""
    tasks = selectors.plan_tasks(actor, job.plan)
    return None if tasks is None else list(tasks.select_related("owner_org").order_by("order"))


def _rows(job: MonitoringReport, actor):
    overview = selectors.plans_overview(actor, job.year, code=job.plan.code)[0]
    rows = []
    for r in overview["rows"]:
        ind, ev = r["indicator"], r["eval"]
        rows.append(
            {
                "code": ind.code,
                "name": ind.name,
                "scope": ind.scope_name,
                "unit": ind.unit,
                "base": ind.base_value,
                "base_year": ind.base_year,
                "target": ind.target_value,
                "target_year": ind.target_year,
                "qualifier": ind.qualifier,
                "latest_year": ev.get("latest_year"),
                "latest": ev.get("latest_value"),
                "expected": ev.get("expected_value"),
                "completion": ev.get("completion_rate"),
                "status": STATUS_ZH.get(ev.get("status"), ev.get("status") or "—"),
                "projected": ev.get("projected_value"),
                "required_growth": ev.get("required_growth"),
                "note": ev.get("note") or "",
                "synthetic": r["synthetic"],
                "relative": (ind.relative or {}).get("text") or "",
                "defects": ind.defects,
                "source": f"{ind.plan.source_file}：{ind.target_quote}",
            }
        )
    return overview, rows


def _chart_png(detail: dict) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK SC" in f.name or "CJK" in f.name]
    if cjk:
        plt.rcParams["font.sans-serif"] = [cjk[0]]
    plt.rcParams["axes.unicode_minus"] = False
    c = detail["chart"]
    fig, ax = plt.subplots(figsize=(6.4, 2.8), dpi=110)
    xs = c["years"]

    def series(vals):
        return [v if v is not None else float("nan") for v in vals]

    ax.plot(xs, series(c["path"]), "--", color="#888888", label="序时进度路径")
    ax.plot(xs, series(c["actual"]), "o-", color="#1d4e89", label="实际值")
    ax.plot(xs, series(c["target"]), "D", color="#c0392b", label="目标")
    if any(v is not None for v in c["projection"]):
        pts = [(x, v) for x, v in zip(xs, c["projection"], strict=True) if v is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], ":", color="#e69500", label="趋势预测")
    ax.set_title(f"{c['name']}（{c['unit']}）", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def build_docx(job: MonitoringReport, actor) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    overview, rows = _rows(job, actor)
    plan = job.plan
    doc = Document()
    section = doc.sections[0]  # landscape A4: the indicator table has ten columns
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(1.8)
    style = doc.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.font.size = Pt(10)
    doc.add_heading(f"《{plan.title}》实施监测报告（{job.year}年度）", level=1)
    doc.add_paragraph(
        f"生成时间：{timezone.localtime():%Y-%m-%d %H:%M}　数据截至：{job.year}年　来源文件：{plan.source_file}"
    )
    if overview["synthetic"]:
        p = doc.add_paragraph()
        run = p.add_run("【示例数据】" + SYNTHETIC_NOTE)
        run.bold = True
    counts = overview["counts"]
    doc.add_heading("一、总体情况", level=2)
    tasks = _tasks(job, actor)
    doc.add_paragraph(
        f"本规划共 {len(rows)} 项量化指标："
        + "，".join(f"{STATUS_ZH.get(k, k)} {v} 项" for k, v in sorted(counts.items()))
        + (
            f"。督办任务 {overview['tasks']} 项，其中逾期 {overview['overdue']} 项。"
            if tasks is not None
            else "。"
        )
    )
    doc.add_heading("二、指标监测", level=2)
    headers = ["指标", "范围", "单位", "基期", "目标", "最新实际", "序时进度", "完成率", "状态", "预测"]
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Light Grid Accent 1"
    for cell, h in zip(table.rows[0].cells, headers, strict=True):
        cell.text = h
    for r in rows:
        cells = table.add_row().cells
        values = [
            r["name"] + ("（示例数据）" if r["synthetic"] else ""),
            r["scope"],
            r["unit"],
            f"{_fmt(r['base'])}（{r['base_year'] or '—'}）",
            (r["relative"] or f"{_fmt(r['target'])}{r['qualifier']}") + f"（{r['target_year']}）",
            f"{_fmt(r['latest'])}（{r['latest_year'] or '—'}）",
            _fmt(r["expected"]),
            _pct(r["completion"]),
            r["status"],
            _fmt(r["projected"]),
        ]
        for cell, v in zip(cells, values, strict=True):
            cell.text = str(v)
    doc.add_heading("三、重点指标走势", level=2)
    charted = 0
    for r in rows:
        if r["base"] is None or r["target"] is None or charted >= 8:
            continue
        detail = selectors.indicator_detail(actor, r["code"], job.year)
        doc.add_picture(io.BytesIO(_chart_png(detail)), width=Cm(15))
        if r["note"]:
            doc.add_paragraph(r["note"])
        charted += 1
    doc.add_heading("四、督办任务", level=2)
    if tasks is None:
        doc.add_paragraph(TASKS_HIDDEN_NOTE)
    elif tasks:
        t = doc.add_table(rows=1, cols=5)
        t.style = "Light Grid Accent 1"
        for cell, h in zip(t.rows[0].cells, ["编号", "任务", "责任单位", "状态", "进度"], strict=True):
            cell.text = h
        for task in tasks:
            cells = t.add_row().cells
            owner = task.owner_org.name if task.owner_org else "、".join(task.lead_units[:2])
            for cell, v in zip(
                cells,
                [
                    task.code,
                    task.title,
                    owner,
                    TASK_STATUS_ZH.get(task.status, task.status),
                    f"{task.progress}%",
                ],
                strict=True,
            ):
                cell.text = v
    else:
        doc.add_paragraph("本规划未列督办任务。")
    flagged = [r for r in rows if r["defects"]]
    if flagged:
        doc.add_heading("五、原文数据瑕疵提示", level=2)
        for r in flagged:
            for d in r["defects"]:
                doc.add_paragraph(
                    f"{r['name']}：{d.get('note', '')}（原文：“{d.get('quote', '')}”）", style="List Bullet"
                )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def build_xlsx(job: MonitoringReport, actor) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    overview, rows = _rows(job, actor)
    wb = Workbook()
    ws = wb.active
    ws.title = "指标监测"
    ws.append([f"《{job.plan.title}》{job.year}年度监测数据"])
    if overview["synthetic"]:
        ws.append(["示例数据：" + SYNTHETIC_NOTE])
    head = [
        "编码",
        "指标",
        "范围",
        "单位",
        "基期年",
        "基期值",
        "目标年",
        "目标值",
        "限定词",
        "最新年份",
        "最新实际",
        "序时进度值",
        "完成率",
        "状态",
        "所需年均增速",
        "预测值",
        "是否示例数据",
        "说明",
        "来源",
    ]
    ws.append(head)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(
            [
                r["code"],
                r["name"],
                r["scope"],
                r["unit"],
                r["base_year"],
                r["base"],
                r["target_year"],
                r["target"],
                r["qualifier"],
                r["latest_year"],
                r["latest"],
                r["expected"],
                r["completion"],
                r["status"],
                r["required_growth"],
                r["projected"],
                "是" if r["synthetic"] else "否",
                r["note"],
                r["source"],
            ]
        )
    wa = wb.create_sheet("实际值明细")
    wa.append(
        [
            "指标编码",
            "指标",
            "周期",
            "数值",
            "单位",
            "录入值",
            "录入单位",
            "来源",
            "录入人",
            "录入时间",
            "当前值",
            "示例数据",
            "更正说明",
        ]
    )
    for a in Actual.objects.filter(indicator__plan=job.plan, year__lte=job.year).select_related(
        "indicator", "entered_by"
    ):
        wa.append(
            [
                a.indicator.code,
                a.indicator.name,
                a.period_label,
                a.value,
                a.unit,
                a.entered_value,
                a.entered_unit,
                a.source,
                str(a.entered_by or ""),
                timezone.localtime(a.entered_at).strftime("%Y-%m-%d %H:%M"),
                "是" if a.is_current else "否（已更正）",
                "是" if a.is_synthetic else "否",
                a.note,
            ]
        )
    wt = wb.create_sheet("督办任务")
    tasks = _tasks(job, actor)
    if tasks is None:
        wt.append([TASKS_HIDDEN_NOTE])
        tasks = []
    else:
        wt.append(["编号", "任务", "优先级", "牵头单位", "完成时限", "状态", "进度（%）", "最近报送"])
    for t in tasks:
        wt.append(
            [
                t.code,
                t.title,
                "★" * t.priority,
                "、".join(t.lead_units),
                t.due_date,
                TASK_STATUS_ZH.get(t.status),
                t.progress,
                timezone.localtime(t.last_report_at).strftime("%Y-%m-%d") if t.last_report_at else "",
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def generate(job_id: int) -> MonitoringReport:
    job = MonitoringReport.objects.select_related("plan", "created_by").get(pk=job_id)
    job.status = MonitoringReport.Status.RUNNING
    job.save(update_fields=["status"])
    actor = job.created_by
    try:
        docx = build_docx(job, actor)
        xlsx = build_xlsx(job, actor)
    except Exception as exc:  # the job records the failure for the user instead of dying silently
        job.status, job.message, job.finished_at = (
            MonitoringReport.Status.FAILED,
            f"{type(exc).__name__}: {exc}",
            timezone.now(),
        )
        job.save(update_fields=["status", "message", "finished_at"])
        return job
    name = f"monitoring_{job.plan.code}_{job.year}_{job.pk}"
    job.docx.save(f"{name}.docx", ContentFile(docx), save=False)
    job.xlsx.save(f"{name}.xlsx", ContentFile(xlsx), save=False)
    job.status, job.finished_at = MonitoringReport.Status.DONE, timezone.now()
    job.save()
    return job

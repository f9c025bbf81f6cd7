"""The policy panel of the 数据大屏 (core/screen.py): policy money paid — amount, payouts, enterprises — and
the ranking of districts by amount paid, with the disclosure threshold applied."""

from __future__ import annotations

from django.utils.translation import gettext as _

from jinfu.core.screen import Panel, count_figure, ranked_bars, total_figure

from . import selectors


def panel(principal) -> Panel | None:
    data = selectors.payouts_by_enterprise(principal)
    rows = data["rows"]
    if not rows:
        return None
    bars, note = ranked_bars((r["division"], r["enterprise"], r["amount"]) for r in rows)
    return Panel(
        key="policy",
        title=_("政策兑现"),
        order=30,
        figures=(
            total_figure(_("已拨付资金（累计）"), {r["enterprise"]: r["amount"] for r in rows}, _("万元")),
            count_figure(_("拨付笔数"), sum(r["n"] for r in rows), _("笔")),
            count_figure(_("受益企业"), len(rows), _("家")),
        ),
        bars=bars,
        bars_title=_("各区县拨付金额排名"),
        bars_unit=_("万元"),
        notes=(note,) if note else (),
        synthetic=data["synthetic"],
    )

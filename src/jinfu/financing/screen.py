"""The financing panel of the 数据大屏 (core/screen.py): financing facilitated — amount, loans, enterprises
— and the ranking of districts by amount, with the disclosure threshold applied."""

from __future__ import annotations

from django.utils.translation import gettext as _

from jinfu.core.screen import Panel, count_figure, ranked_bars, total_figure

from . import selectors


def panel(principal) -> Panel | None:
    data = selectors.disbursed_by_enterprise(principal)
    rows = data["rows"]
    if not rows:
        return None
    amounts = {r["enterprise"]: r["amount"] for r in rows}
    bars, note = ranked_bars((r["enterprise__division__name"], r["enterprise"], r["amount"]) for r in rows)
    return Panel(
        key="financing",
        title=_("促成融资"),
        order=20,
        figures=(
            total_figure(_("放款金额（累计）"), amounts, _("万元")),
            count_figure(_("放款笔数"), sum(r["n"] for r in rows), _("笔")),
            count_figure(_("获贷企业"), len(rows), _("家")),
            count_figure(_("首贷户"), data["first_loans"], _("家")),
        ),
        bars=bars,
        bars_title=_("各区县放款金额排名"),
        bars_unit=_("万元"),
        notes=(note,) if note else (),
        synthetic=data["synthetic"],
    )

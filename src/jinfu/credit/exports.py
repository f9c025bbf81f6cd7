"""The credit distribution table as an Excel export (kernel: jinfu.core.exports), from the rows its page
renders (counts by district over the reader's jurisdiction)."""

from __future__ import annotations

from jinfu.core.exports import Column, Table

GRADES = ("A", "B", "M", "C", "D")

DISTRIBUTION = Table(
    "credit.distribution",
    "信用分布（按区县）",
    (
        Column("区县", lambda r: r[0], width=14),
        Column("企业数", lambda r: r[1]["n"], "int"),
        *(Column(f"纳税 {g}", lambda r, g=g: r[1][g], "int", 10) for g in GRADES),
        Column("失信被执行人", lambda r: r[1]["dishonest"], "int"),
        Column("经营异常", lambda r: r[1]["abnormal"], "int"),
    ),
    roles=("government", "regulator", "admin"),
)

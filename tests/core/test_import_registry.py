"""One import framework: every importer is declared in its own module and registered through the module
contract; the engine's rule table belongs to core (no module edits it); every importer reports a bad row in
the same problem format; the reader and the validator stream (bounded memory, issue 14 item 7)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from jinfu.core.imports import engine, registry
from jinfu.core.modules import contracts
from jinfu.credit.imports import BY_SOURCE
from jinfu.risk.imports import BY_KIND as RISK_KINDS

MODULE_IMPORTERS = [
    "enterprises",
    "institutions",
    "brain.actuals",
    *(f"credit.{k}" for k in BY_SOURCE),
    "listing.statements",
    *(f"risk.{k}" for k in RISK_KINDS),
    "risk.org_reports",
    "green.projects",
    "green.reports",
    "green.env_credit",
]
PROBLEM_KEYS = {"row", "column", "field", "value", "rule", "message_zh", "message_en"}


def test_registry_lists_every_modules_importers():
    assert set(registry.importers()) == set(MODULE_IMPORTERS)


def test_each_importer_is_declared_in_its_own_module():
    """An importer is declared by its app's contract, and its callables live in that app's package."""
    seen = set()
    for label, contract in contracts():
        package = "jinfu." + label
        for path in contract.importers:
            assert path.startswith(package + "."), (label, path)
            found = registry.resolve(path)
            for imp in found if isinstance(found, tuple | list) else (found,):
                seen.add(imp.key)
                for dotted in (imp.prepare, imp.apply, imp.can_import):
                    assert not dotted or dotted.startswith(package + "."), (imp.key, dotted)
    assert seen == set(MODULE_IMPORTERS)


def test_core_imports_names_no_module():
    src = Path(engine.__file__).parent
    for f in src.glob("*.py"):
        text = f.read_text()
        for module in ("brain", "credit", "financing", "policy", "listing"):
            assert f"jinfu.{module}" not in text, (f.name, module)


def test_no_module_edits_the_engines_rule_table():
    """A module's own rules are declared on its columns or importer, never added to core's table (the
    credit connectors used to write enterprise.unknown and duplicate.period into engine.RULES)."""
    for imp in registry.importers().values():
        own = imp.messages()
        assert not set(own) & set(engine.RULES), (imp.key, set(own) & set(engine.RULES))
    assert "enterprise.unknown" not in engine.RULES and "duplicate.period" not in engine.RULES


def _bad_file(imp: registry.Importer) -> bytes:
    """Every column's header, one data row whose every cell is a formula."""
    header = ",".join(c.label_zh for c in imp.columns)
    row = ",".join("=cmd()" for _c in imp.columns)
    return f"{header}\n{row}\n".encode()


@pytest.mark.parametrize("key", MODULE_IMPORTERS)
def test_a_bad_row_has_the_same_problem_format_in_every_importer(key, make_user, db):
    imp = registry.get(key)
    res = registry.dry_run(imp, _bad_file(imp), "bad.csv", actor=make_user("admin"))
    assert not res.ok and res.records == []
    assert len(res.errors) == len(imp.columns)
    for problem, col in zip(res.errors, imp.columns, strict=True):
        assert set(problem) == PROBLEM_KEYS
        assert (problem["row"], problem["column"], problem["field"]) == (2, col.label_zh, col.field)
        shown = engine.mask_id_number("=cmd()") if col.field in engine.ID_NUMBER_FIELDS else "=cmd()"
        assert (problem["value"], problem["rule"]) == (shown, "formula_injection")
        assert (
            problem["message_zh"].startswith(f"第 2 行「{col.label_zh}」：")
            and "公式" in problem["message_zh"]
        )
        assert problem["message_en"].startswith(f"row 2, column '{col.label_zh}': ")
        assert "formula" in problem["message_en"]


@pytest.mark.parametrize("key", MODULE_IMPORTERS)
def test_a_missing_required_column_has_the_same_problem_format(key, make_user, db):
    imp = registry.get(key)
    required = [c for c in imp.columns if c.required]
    header = ",".join(c.label_zh for c in imp.columns if c is not required[-1])
    res = registry.dry_run(imp, f"{header}\n".encode(), "h.csv", actor=make_user("admin"))
    missing = [e for e in res.errors if e["rule"] == "header.missing"]
    assert [(e["row"], e["column"], e["field"]) for e in missing] == [
        (1, required[-1].label_zh, required[-1].field)
    ]
    assert set(missing[0]) == PROBLEM_KEYS and missing[0]["message_zh"] and missing[0]["message_en"]


class CountingReads(io.BytesIO):
    """A file that remembers the largest single read."""

    largest = 0

    def read(self, n=-1):
        out = super().read(n)
        self.largest = max(self.largest, len(out))
        return out


def test_the_csv_reader_never_reads_the_whole_file_at_once():
    body = "统一社会信用代码,企业名称\n" + "91500000202869177Y,重庆示例科技有限公司\n" * 80_000  # ~3.8 MB
    fh = CountingReads(body.encode("utf-8"))
    sheet = engine.read_sheet(fh, "big.csv")
    assert sum(1 for _ in sheet.rows) == 80_000
    assert fh.largest <= engine.READ_CHUNK < len(fh.getvalue())
    assert engine.estimate_rows(fh, "big.csv") == 80_000 and fh.largest <= engine.READ_CHUNK


def test_validation_works_chunk_by_chunk_over_a_generator():
    """The validator pulls rows lazily: existing records are looked up per chunk while the generator has
    yielded no more than one chunk beyond them, and a dry run keeps no records and a capped diff."""
    spec = engine.ImportSpec(
        "t",
        "测试",
        "test",
        (engine.Column("uscc", "代码", "code", "code", True), engine.Column("n", "数量", "n", "int")),
        lookup_field="uscc",
        diff=True,
    )
    produced = [0]
    lookups_at = []

    def rows():
        for i in range(10_000):
            produced[0] += 1
            yield [f"C{i:05d}", str(i)]

    def load_existing(keys):
        lookups_at.append((len(keys), produced[0]))
        return {}

    lookups = engine.Lookups(load_existing=load_existing)
    sheet = engine.Sheet(["代码", "数量"], rows(), "csv", "utf-8")
    res = engine.validate_sheet(
        spec, sheet, lookups, keep_records=False, diff_limits={"create": 5}, chunk_rows=1000
    )
    assert res.ok and res.total_rows == 10_000 and res.records == []
    assert [n for n, _ in lookups_at] == [1000] * 10
    assert all(made <= 1000 * (i + 1) for i, (_n, made) in enumerate(lookups_at))
    assert res.counts()["create"] == 10_000 and len(res.diff) == 5 and res.diff_truncated

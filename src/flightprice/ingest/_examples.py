"""The first offending rows of each failed check, fetched in one pass over the file.

Each failed check shows its first `EXAMPLES` rows with their raw text. Asking per check
scanned the whole typed file joined to its raw text once per failed check (a messy 1M-row
day fails ~30 checks: ~0.8 CPU s, benchmarks/README.md "Session 7: ingest"). Here one pass
collects every check's first rows (`min(x, n)`, null when the row passes), and the checks then run again on just
those rows, copied with their raw text to the temp table `examples`: the same rows, in the
same order, as the per-check queries returned.
"""

from __future__ import annotations

import duckdb

from flightprice.ingest._checks import EXAMPLES

TABLE = "examples"


def examples_by_check(
    con: duckdb.DuckDBPyConnection, checks: list, per_check: list[int], raw_text: str
) -> dict[int, list[tuple]]:
    """Return {check index: [(row, shown value), ...]} for each check with failures.

    `checks` are (name, column, problem, failing-row condition, shown value) over view `t`;
    `raw_text` selects the raw columns (`<column>$raw`) from table `src`.
    """
    failing = [i for i, n in enumerate(per_check) if n]
    if not failing:
        return {}
    # A CASE per check costs half of the same aggregates with FILTER clauses (measured).
    firsts = ", ".join(f"min(CASE WHEN {checks[i][3]} THEN _row END, {EXAMPLES})" for i in failing)
    lists = con.execute(f"SELECT {firsts} FROM t").fetchall()[0]
    rows = ", ".join(map(str, sorted({row for first in lists for row in first or ()})))
    con.execute(
        f"CREATE TEMP TABLE {TABLE} AS SELECT * FROM t JOIN (SELECT rowid + 1 AS _src_row"
        f"{raw_text} FROM src WHERE rowid + 1 IN ({rows})) r ON _src_row = _row"
        f" WHERE _row IN ({rows})"
    )
    return {
        i: con.execute(
            f"SELECT _row, {checks[i][4]} FROM {TABLE} WHERE {checks[i][3]}"
            f" ORDER BY _row LIMIT {EXAMPLES}"
        ).fetchall()
        for i in failing
    }

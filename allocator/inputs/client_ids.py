"""Client ids of a snapshot: none empty, none twice, and none that only look different.

Ids that differ only in invisible characters or Unicode form would be two clients with two
quotas, so they are refused; ids that differ only in letter case are a warning.
"""

from __future__ import annotations

import unicodedata

import polars as pl

from allocator.inputs.snapshot_cells import ID, ROW, CellProblem, SnapshotWarning, invisible, quoted, report


def client_ids(
    s: pl.Series, rows: pl.Series, problems: list[CellProblem], warnings: list[SnapshotWarning]
) -> pl.Series:
    ids = s.cast(pl.String).str.strip_chars()
    empty = ids.is_null() | (ids == "")
    report(rows, empty, ID, "a client id is empty", problems)
    frame = pl.DataFrame({ROW: rows, ID: ids}).filter(~empty)
    # Ids distinct even in lower case cannot repeat. Distinct hashes are distinct ids (counting
    # hashes is much faster than counting strings); equal hashes are only a reason to look closer.
    cased = not _distinct(frame[ID].str.to_lowercase())
    if cased and not _distinct(frame[ID]) and frame[ID].n_unique() != frame.height:
        later = _later_of_same(frame, ID)
        r = later.row(0, named=True)
        msg = f"duplicate client id {quoted(r[ID])} (first on row {r['_first']})"
        problems.append((int(r[ROW]), ID, msg, later.height - 1))
        frame = frame.join(later.select(ROW), on=ROW, how="anti")
    # The slower look for lookalikes only when some id is not plain ASCII or two differ in case.
    if cased or frame[ID].str.contains(r"[^\x20-\x7e]").any():
        _lookalikes(frame, problems, warnings)
    return ids.alias(ID)


def _distinct(ids: pl.Series) -> bool:
    """True when the ids are certainly all different (False may be a hash collision)."""
    return ids.hash().n_unique() == len(ids)


def _lookalike_key(client_id: str) -> str:
    """What a reader sees: compatibility form (NFKC), without invisible characters."""
    return "".join(c for c in unicodedata.normalize("NFKC", client_id) if not invisible(c)).strip()


def _lookalikes(distinct: pl.DataFrame, problems: list[CellProblem], warnings: list[SnapshotWarning]) -> None:
    """Distinct ids that look the same are refused; ids that differ only in case are a warning."""
    special = distinct[ID].str.contains(r"[^\x20-\x7e]")
    keys = distinct[ID]
    if special.any():
        keys = pl.Series([_lookalike_key(i) if sp else i for i, sp in zip(keys, special, strict=True)], dtype=pl.String)
    table = distinct.with_columns(keys.alias("_key"), special.alias("_special"))
    alike = _later_of_same(table, "_key")
    if alike.height:
        r = alike.row(0, named=True)
        msg = (
            f"client id {quoted(r[ID])} looks the same as {quoted(r['_other'])} (row {r['_first']}):"
            " they differ only in invisible characters or Unicode form"
        )
        problems.append((int(r[ROW]), ID, msg, alike.height - 1))
    table = table.join(alike.select(ROW), on=ROW, how="anti")
    special_ids = table.filter(pl.col("_special"))
    hidden = special_ids.filter(pl.Series([_has_invisible(i) for i in special_ids[ID]], dtype=pl.Boolean))
    if hidden.height:
        r = hidden.row(0, named=True)
        msg = f"client id {quoted(r[ID])} has invisible characters in it"
        warnings.append(SnapshotWarning(int(r[ROW]), ID, msg, hidden.height - 1))
    cased = _later_of_same(table.with_columns(pl.col("_key").str.to_lowercase().alias("_lower")), "_lower")
    if cased.height:
        r = cased.row(0, named=True)
        msg = f"client id {quoted(r[ID])} differs from {quoted(r['_other'])} (row {r['_first']}) only in letter case"
        warnings.append(SnapshotWarning(int(r[ROW]), ID, msg, cased.height - 1))


def _later_of_same(table: pl.DataFrame, key: str) -> pl.DataFrame:
    """Rows whose `key` an earlier row has, with that earlier row (_first) and its id (_other)."""
    firsts = (
        table.sort(ROW)
        .group_by(key, maintain_order=True)
        .agg(pl.col(ROW).first().alias("_first"), pl.col(ID).first().alias("_other"))
    )
    return table.join(firsts, on=key).filter(pl.col(ROW) != pl.col("_first")).sort(ROW)


def _has_invisible(client_id: str) -> bool:
    return any(invisible(c) for c in client_id)

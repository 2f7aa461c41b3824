"""A run that writes: under the locks, outputs swapped in atomically, recorded in the ledger.

`allocator run` and `allocator batch` both come here; they differ only in what they print. The
order is the natural one: check where the outputs and the ledger go, take the locks, load the
scenario, start the ledger row, run, then write the outputs as the ledger commits its record.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from allocator import __version__
from allocator.commands.partitioned import execute_partitioned
from allocator.inputs.rule_files import display_path
from allocator.inputs.scenarios import NOTHING_GIVEN, Given, Scenario, load_scenario
from allocator.outputs import interrupts
from allocator.outputs.atomic import clean_leftovers
from allocator.outputs.joblog import Log
from allocator.outputs.ledger import Act, Ledger, RunInfo, check_ledger_file
from allocator.outputs.ledger_acts import Supersede, basis_of, check_batch, os_user
from allocator.outputs.ledger_cycle import cycle_issued
from allocator.outputs.lock import run_lock
from allocator.outputs.partition_folder import guard_run_folder
from allocator.outputs.run_folder import check_variant_folders, write_outputs
from allocator.pipeline.run import PreviousTiers, RunResult, run
from allocator.pipeline.tiering import Mode

Progress = Callable[[str], None]


def _inputs(scenario: Path, s: Scenario | None, given: Given = NOTHING_GIVEN) -> list[tuple[str, Path]]:
    """The files a run reads, as (what, path), for the output folder's guard."""
    found = [("the scenario", scenario)]
    if s is not None:
        base = scenario.parent
        found += [("the tiering file", base / s.spec.tiering), ("the allocation file", base / s.spec.allocation)]
        found.append(("the snapshot", s.snapshot))
        if s.spec.assignments or given.assignments:
            found.append(("the assignments file", given.assignments or base / (s.spec.assignments or "")))
        if isinstance(s.spec.locks, str) or given.locks:
            found.append(("the locks file", given.locks or base / str(s.spec.locks)))
    return found


def execute(
    scenario: Path,
    out: Path,
    *,
    ledger: Path | None,
    wait: float,
    mode: Mode,
    log: Log,
    progress: Progress | None = None,
    loaded: Scenario | None = None,
    supersede: Supersede | None = None,
    one_approved: bool = False,
    given: Given = NOTHING_GIVEN,
) -> RunResult:
    """Run a scenario under the locks, write its outputs atomically, record it in the ledger.

    Nothing is written before the output folder and the ledger are known to be safe to use: an
    output folder that holds anything but an earlier run's outputs (or the outputs of a run the
    ledger has approved), and a file that is not an allocator ledger, are refused first.
    `loaded` is the scenario when the caller has read it already (it is not read again).
    `one_approved` (batch): refuse a period whose approved run this one does not `supersede`; a
    round of a cycle is refused so when it is approved, whichever command runs it. `given`: the
    command line's assignments, locks and round, in place of the scenario's."""
    say = progress or (lambda _: None)
    shown = display_path(ledger) if ledger else None
    log("start", scenario=display_path(scenario), out=display_path(out), ledger=shown, version=__version__)
    guard_run_folder(out, _inputs(scenario, loaded), ledger)
    if ledger is not None:
        check_ledger_file(ledger)
        check_batch(ledger, out)  # an approved run's folder, before the lock is even taken
    with run_lock(out, ledger, wait):
        log("locked")
        clean_leftovers(out)
        t0 = time.perf_counter()
        if loaded is None:
            loaded = load_scenario(scenario, progress=progress, **given._asdict())
        load_seconds = time.perf_counter() - t0
        guard_run_folder(out, _inputs(scenario, loaded, given), ledger)  # now that the rule files are known
        check_variant_folders(loaded)
        if loaded.spec.partition is not None:  # one run per partition, on --executor
            return execute_partitioned(scenario, out, loaded, mode, given, say, log, ledger)
        if ledger is None:
            result = _timed(run(loaded, mode, progress=progress), load_seconds)
            _log_result(log, result)
            say(f"writing {display_path(out)}")
            write_outputs(result, out)
            log("written", out=display_path(out))
            return result
        in_cycle = loaded.spec.cycle is not None
        period = loaded.spec.period if one_approved or in_cycle else None  # one approved run per period (and round)
        round_name = loaded.spec.round if in_cycle else None
        check_batch(ledger, out, display_path(scenario), period, supersede, round_name)  # under the lock, at last
        with Ledger.open(ledger) as book:
            acts = _acts(loaded, supersede)
            return _recorded(book, scenario, loaded, out, mode, log, progress, load_seconds, acts)


def _acts(scenario: Scenario, supersede: Supersede | None) -> list[Act]:
    """The manual acts recorded with the run: the managers' assignments and locks of the scenario,
    and the run it is batched to supersede."""
    acts = [
        Act("assignment", by=a.owner, reason=a.reason, client_id=a.client_id, product=a.product, units=a.units)
        for a in scenario.assignments
    ]
    acts += [
        Act("lock", by=lock.by, reason=lock.reason, client_id=lock.client_id, product=lock.product, units=lock.quota)
        for lock in scenario.locks
    ]
    if supersede is not None:
        acts.append(Act("supersede", by=os_user(), reason=supersede.reason, detail=str(supersede.run_id)))
    return acts


def _timed(result: RunResult, load_seconds: float) -> RunResult:
    return dataclasses.replace(result, timings={"load": load_seconds, **result.timings})


def _recorded(
    book: Ledger,
    path: Path,
    scenario: Scenario,
    out: Path,
    mode: Mode,
    log: Log,
    progress: Progress | None,
    load_seconds: float,
    acts: list[Act],
) -> RunResult:
    """The run with its ledger record: a `running` row first, then tiers, quotas, acts and `ok`
    with the outputs."""
    abandoned = book.fail_abandoned()
    if abandoned:
        log("ledger", abandoned_runs_marked_failed=abandoned)
    assert scenario.clients is not None
    info = RunInfo(
        scenario=display_path(path), scenario_sha256=scenario.sha256, period=scenario.spec.period,
        seed=scenario.spec.seed, snapshot_sha256=scenario.clients.sha256, tiering_sha256=scenario.tiering.sha256,
        allocation_sha256=scenario.allocation.sha256, version=__version__, out_dir=str(out.resolve()),
        cycle=scenario.spec.cycle.id if scenario.spec.cycle else None, round=scenario.spec.round,
    )  # fmt: skip
    issued = None
    if scenario.spec.cycle is not None:  # read under the run lock: no round is approved meanwhile
        issued = cycle_issued(book.conn, info.scenario, scenario.spec.cycle.id)
        basis = basis_of(i for r, i in issued.runs.items() if r != scenario.spec.round)
        info = dataclasses.replace(info, basis=basis)
    started: list[int] = []

    def interrupted(name: str) -> None:
        for run_id in started:
            book.fail_quietly(run_id, f"interrupted by {name}")

    with interrupts.on_interrupt(interrupted):
        # a signal that comes while the `running` row is committed (an fsync: tens of ms) waits
        # until the row's id is known here, so the clean-up marks that row failed
        with interrupts.deferred():
            started.append(book.start(info))
        run_id = started[0]
        try:
            previous = None
            if scenario.tiering.current_field is not None:
                found = book.previous_tiers(scenario.spec.period)
                previous = PreviousTiers(*found) if found is not None else None
            result = _timed(run(scenario, mode, previous=previous, progress=progress, issued=issued), load_seconds)
            _log_result(log, result)
            if progress is not None:
                progress(f"writing {display_path(out)}")
            period, tiers = scenario.spec.period, result.tiers
            quotas = [p.quotas for p in result.variants[0].products]
            manifest = out.resolve() / "manifest.json"
            write_outputs(
                result, out, record=lambda: book.recording(run_id, period, tiers, quotas, acts, manifest=manifest)
            )
            log("written", out=display_path(out))
            log("recorded", ledger=display_path(book.path), run=run_id)
        except BaseException as exc:
            book.fail_quietly(run_id, f"{type(exc).__name__}: {exc}")
            raise
    return result


def _log_result(log: Log, result: RunResult) -> None:
    t = result.timings
    if result.previous is not None:
        log("current_tier", **result.previous)
    log("loaded", clients=result.tiers.height, seconds=round(t.get("load", 0.0), 3))
    for warning in result.warnings:
        log("warning", message=warning)
    log("tiered", seconds=round(t.get("tier", 0.0), 3))
    for p in result.variants[0].products:
        log(
            "allocated",
            product=p.product,
            supply=p.supply,
            reserve=p.reserve,
            allocated=p.allocated,
            unallocated=p.unallocated,
        )
        for b in p.budgets:
            log("budget", product=p.product, owner=b.owner, segment=b.segment, budget=b.units, assigned=b.assigned,
                clients=b.clients, left=b.left, left_goes_to="policy" if b.released else "kept")  # fmt: skip
    for rs in (result.round_supplies or {}).values():
        cycle = result.scenario.spec.cycle
        log("round", cycle=cycle.id if cycle else None, round=result.scenario.spec.round, product=rs.product,
            cycle_supply=rs.cycle_supply, issued_before=rs.issued_before, supply=rs.supply, nominal=rs.nominal,
            drift=rs.drift, overridden=rs.overridden)  # fmt: skip
    for alert in result.alerts:
        log("alert", message=alert)
    log("variants", count=len(result.variants) - 1, seconds=round(t.get("allocate", 0.0), 3))

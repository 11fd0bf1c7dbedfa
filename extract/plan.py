"""The start of every extraction cycle: read the budget, resolve the objects, probe them, decide the work.

One ``/limits`` call, one global describe, and composite COUNT() probes (5 per API call): an object is extracted
only when it has changes since its cursor (``COUNT() WHERE SystemModstamp > cursor``) or its lookback window no
longer holds what was landed (a late commit: ``COUNT() WHERE SystemModstamp >= window_start``). A cycle in which
nothing changed creates no Bulk job and lands nothing. Reconciliation (hard deletes) and formula refreshes come
due per object on their own schedule; the reconciliation of an unchanged object whose live count already
matches the org's is skipped.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from extract.catalog import select_objects
from extract.errors import PermanentError
from extract.object_extraction import ObjectWork
from extract.options import ExtractOptions
from extract.salesforce import soql
from extract.salesforce.client import SalesforceClient
from extract.salesforce.describe import global_describe
from extract.salesforce.probe import CountQuery, count_many
from extract.warehouse.bronze import BatchAudit, ObjectState, bronze_table_name

log = logging.getLogger(__name__)

WATCHED_LIMITS = ("DailyApiRequests", "DailyBulkV2QueryJobs", "DailyBulkApiBatches")


class ConfigurationError(PermanentError):
    """The configuration asks for something the org cannot give (e.g. excludes an object the models read)."""


@dataclass(frozen=True)
class Shard:
    """Objects one extraction task takes in turn: a large object alone, small ones packed together."""

    work: tuple[ObjectWork, ...]

    @property
    def label(self) -> str:
        names = [w.object_name for w in self.work]
        return names[0] if len(names) == 1 else f"{names[0]} +{len(names) - 1} more"

    def as_dict(self) -> dict:
        return {"label": self.label, "work": [w.as_dict() for w in self.work]}


def shard_work(work: list[ObjectWork], rest_max_rows: int, max_objects: int = 25,
               max_rows: int = 50_000) -> list[Shard]:
    """Pack the cycle's work into task-sized shards, so 200 small objects cost a handful of task instances.

    An object whose delta goes through Bulk API 2.0 (or whose size is unknown) gets a shard of its own; small
    ones share a shard up to ``max_objects`` objects or ``max_rows`` estimated rows.
    """
    shards: list[Shard] = []
    current: list[ObjectWork] = []
    rows = 0
    for item in sorted(work, key=lambda w: w.object_name.lower()):
        estimate = item.estimated_rows
        if estimate is None or estimate > rest_max_rows:
            shards.append(Shard((item,)))
            continue
        if current and (len(current) >= max_objects or rows + estimate > max_rows):
            shards.append(Shard(tuple(current)))
            current, rows = [], 0
        current.append(item)
        rows += estimate
    if current:
        shards.append(Shard(tuple(current)))
    return shards


@dataclass
class CyclePlan:
    work: list[ObjectWork] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    objects_seen: int = 0
    api_calls: int = 0
    limits: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["work"] = [w.as_dict() for w in self.work]
        return data

    def shards(self, rest_max_rows: int) -> list[Shard]:
        return shard_work(self.work, rest_max_rows)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _due(last: datetime | None, every, now: datetime) -> bool:
    return every is not None and (last is None or now - last >= every)


def plan_cycle(client: SalesforceClient, writer, options: ExtractOptions, *, required: tuple[str, ...] = (),
               dag_run_id: str | None = None) -> CyclePlan:
    started = _utcnow()
    before = client.stats.copy()
    plan = CyclePlan()
    limits = client.limits()
    plan.limits = {name: limits[name] for name in WATCHED_LIMITS if name in limits}
    client.check_limit(limits, "DailyApiRequests", 1, "start an extraction cycle")
    summaries = global_describe(client)
    selection = select_objects(summaries, options.include, options.exclude)
    plan.objects_seen = len(summaries)
    for name, why in selection.left_out.items():
        plan.skipped[name] = why
    for pattern in selection.not_visible:
        plan.skipped[pattern] = "not in the org's describe: it does not exist or the integration user cannot see it"
    chosen = {name.lower(): name for name in selection.selected}
    missing = [name for name in required if name.lower() not in chosen]
    if missing:
        reasons = {name: plan.skipped.get(name) or (
            "left out by the include/exclude configuration" if name.lower() in {s.name.lower() for s in summaries}
            else "not in the org's describe (missing, or the integration user cannot see it)") for name in missing}
        raise ConfigurationError("the dbt models read objects this cycle would not extract: " + "; ".join(
            f"{name}: {why}" for name, why in reasons.items()))

    states = writer.object_states(options.source)
    now = _utcnow()
    change_queries, live_queries = [], []
    for name in selection.selected:
        state = states.get(name)
        if state and state.cursor_value and state.cursor_field:
            cursor = soql.parse_landed(state.cursor_value)
            window_start = soql.parse_landed(state.window_start) if state.window_start else cursor - options.lookback
            change_queries.append(CountQuery(f"{name}|new", soql.count(name, state.cursor_field, after=cursor)))
            change_queries.append(CountQuery(f"{name}|window", soql.count(
                name, state.cursor_field, at_or_after=window_start)))
            if _due(state.last_reconciled_at, options.reconcile_every, now):
                live_queries.append(CountQuery(f"{name}|live", soql.count(name)))
        else:
            change_queries.append(CountQuery(f"{name}|all", soql.count(name)))
    answers = count_many(client, change_queries, include_deleted=True)
    answers.update(count_many(client, live_queries, include_deleted=False))

    audits: list[BatchAudit] = []
    reconciled: list[ObjectState] = []
    expected_bulk_jobs = 0
    for name in selection.selected:
        state = states.get(name) or ObjectState(options.source, name)
        errors = [a.error for key, a in answers.items() if key.startswith(name + "|") and a.error is not None]
        invisible = [e for e in errors if e.error_code in ("INVALID_TYPE", "NOT_FOUND", "INSUFFICIENT_ACCESS")]
        if invisible:
            plan.skipped[name] = f"the org refused to count it ({invisible[0].error_code}: {invisible[0].api_message})"
            continue
        work = _decide(name, state, answers, options, now, errors)
        if work is None and writer.open_jobs(options.source, name):
            # an earlier attempt died with Bulk jobs open: only the object's extraction aborts and deletes them
            work = ObjectWork(name, False, 0, False, False, "Bulk jobs an earlier attempt left open: abort them")
        unchanged = BatchAudit(
            batch_id=f"{name.lower()}-probe-{uuid.uuid4().hex[:12]}", source=options.source, object_name=name,
            kind="probe", status="unchanged", route="composite", dag_run_id=dag_run_id,
            bronze_table=bronze_table_name(name, options.source), started_at=started, finished_at=_utcnow(),
            cursor_field=state.cursor_field, cursor_from=state.cursor_value, cursor_to=state.cursor_value)
        if work is None:
            plan.unchanged.append(name)
            audits.append(unchanged)
            continue
        live = answers.get(f"{name}|live")
        # with changes to land, a new record can mask a hard delete in the counts: only an unchanged object's
        # matching live count proves that nothing was hard-deleted
        if live is not None and live.count is not None and work.reconcile and not work.extract_changes:
            landed_live = writer.live_count(name, bronze_table_name(name, options.source), state.cursor_field,
                                            source=options.source)
            if landed_live == live.count:
                reconciled.append(state.with_(last_reconciled_at=now))
                audits.append(BatchAudit(
                    batch_id=f"{name.lower()}-reconcile-{uuid.uuid4().hex[:12]}", source=options.source,
                    object_name=name, kind="reconcile", status="unchanged", route="composite",
                    dag_run_id=dag_run_id, started_at=started, finished_at=_utcnow(), rows_received=live.count,
                    notes=f"the org's {live.count:,} live records match the landed ones: no Id scan needed"))
                work = ObjectWork(**{**work.as_dict(), "reconcile": False})
                if not (work.refresh_formulas or writer.open_jobs(options.source, name)):
                    plan.unchanged.append(name)
                    audits.append(unchanged)
                    continue
        if work.extract_changes and (work.estimated_rows or 0) > options.rest_max_rows and state.bulk_supported:
            expected_bulk_jobs += 1
        plan.work.append(work)

    for name, why in plan.skipped.items():
        log.warning("%s: not extracted: %s", name, why)
        audits.append(BatchAudit(
            batch_id=f"{name.lower()}-plan-{uuid.uuid4().hex[:12]}", source=options.source, object_name=name,
            kind="plan", status="skipped", dag_run_id=dag_run_id, started_at=started, finished_at=_utcnow(),
            error=why))
    client.check_limit(limits, "DailyBulkV2QueryJobs", expected_bulk_jobs,
                       f"create the {expected_bulk_jobs} Bulk API 2.0 query jobs this cycle needs")
    spent = client.stats.since(before)
    plan.api_calls = spent.api_calls
    audits.append(BatchAudit(
        batch_id=f"plan-{uuid.uuid4().hex[:12]}", source=options.source, object_name="*", kind="plan",
        status="succeeded", route="composite", dag_run_id=dag_run_id, started_at=started, finished_at=_utcnow(),
        api_calls=spent.api_calls, retries=spent.retries, rows_received=len(selection.selected),
        notes=f"{len(plan.work)} objects to extract, {len(plan.unchanged)} unchanged, {len(plan.skipped)} skipped; "
              + ", ".join(f"{k} {v.get('Max', 0) - v.get('Remaining', 0):,}/{v.get('Max', 0):,}"
                          for k, v in plan.limits.items())))
    writer.save_states(reconciled)
    writer.record_many(audits)
    plan.seconds = round((_utcnow() - started).total_seconds(), 3)
    log.info("cycle plan: %d objects in the describe, %d selected: %d to extract, %d unchanged, %d skipped; "
             "%d API calls (%s)", plan.objects_seen, len(selection.selected), len(plan.work), len(plan.unchanged),
             len(plan.skipped), plan.api_calls, ", ".join(
                 f"{k} {v.get('Max', 0) - v.get('Remaining', 0):,} of {v.get('Max', 0):,} used"
                 for k, v in plan.limits.items()))
    return plan


def _decide(name: str, state: ObjectState, answers: dict, options: ExtractOptions, now: datetime,
            errors: list) -> ObjectWork | None:
    reconcile = state.cursor_value is not None and _due(state.last_reconciled_at, options.reconcile_every, now)
    refresh = bool(state.formula_fields) and state.cursor_value is not None and _due(
        state.last_formula_refresh_at, options.formula_refresh_every, now)
    if errors:  # a probe the org refused for another reason: let the extraction meet (and report) it
        return ObjectWork(name, True, None, reconcile, refresh, f"probe failed: {errors[0]}")
    total = answers.get(f"{name}|all")
    if total is not None:  # never extracted, or no cursor field
        if state.last_extracted_at is not None and state.cursor_field is None and not _due(
                state.last_extracted_at, options.reconcile_every, now):
            return None  # a snapshot object (no cursor field) is read again on the reconciliation schedule
        if state.last_extracted_at is not None and total.count == 0 and state.cursor_field is not None:
            return None
        return ObjectWork(name, True, total.count, False, False, "first extraction" if state.last_extracted_at is None
                          else "snapshot")
    new, window = answers[f"{name}|new"].count, answers[f"{name}|window"].count
    late = window != state.window_count
    # Counts cannot see a record re-stamped inside the lookback window (a late commit on a record already there):
    # an object quiet for `reread_quiet_every` is read again anyway, which bounds how late such a change lands.
    quiet = _due(state.last_extracted_at, options.reread_quiet_every, now)
    changed = new > 0 or state.window_count is None or late or quiet
    if not (changed or reconcile or refresh):
        return None
    reason = (f"{new} changed since the cursor" if new else
              f"late commits in the lookback window ({window} now, {state.window_count} landed)" if late else
              "quiet for a while: the lookback window is read again" if changed else
              "due for " + " and ".join(w for w, due in (("reconciliation", reconcile),
                                                          ("formula refresh", refresh)) if due))
    return ObjectWork(name, changed, window if changed else None, reconcile, refresh, reason)

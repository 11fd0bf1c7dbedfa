"""The printed table, the targets (PASS/MISS, printed next to the figures, never asserted) and the crossover."""

from __future__ import annotations


def crossover(points: list[tuple[int, int, float, float]]) -> dict:
    """Where Bulk becomes faster than REST: points are (delta, rows received, REST s, Bulk s), by size.

    Linear interpolation of (REST s - Bulk s) between the last size where REST wins and the first where Bulk does.
    """
    points = sorted(points, key=lambda p: p[1])
    previous = None
    for delta, rows, rest_s, bulk_s in points:
        if rest_s is None or bulk_s is None:
            continue
        gap = rest_s - bulk_s
        if gap > 0:
            if previous is None:
                return {"rows": None, "text": f"Bulk faster already at {rows:,} rows", "below": rows}
            prev_rows, prev_gap = previous
            at = prev_rows + (rows - prev_rows) * (-prev_gap) / (gap - prev_gap)
            return {"rows": round(at), "text": f"~{round(at, -2):,.0f} rows"}
        previous = (rows, gap)
    largest = points[-1][1] if points else 0
    return {"rows": None, "text": f"REST faster up to {largest:,} rows (largest delta tried)", "above": largest}


def _fmt(value, spec: str = ",.0f", none: str = "-") -> str:
    if value is None:
        return none
    return format(value, spec)


def _verdict(ok: bool | None) -> str:
    return "n/a " if ok is None else ("PASS" if ok else "MISS")


def targets(results: dict) -> list[dict]:
    out: list[dict] = []

    def add(name: str, figure: str, ok: bool | None, note: str = "") -> None:
        out.append({"target": name, "figure": figure, "verdict": _verdict(ok).strip(), "note": note})

    tp = results.get("throughput")
    if tp:
        narrow, wide = tp["objects"]["narrow"], tp["objects"]["wide"]
        rate = narrow["paths"]["ours"]["rows_per_s"]
        add("narrow >= 150k rows/s", f"{_fmt(rate)} rows/s", rate >= 150_000, f"at {narrow['rows']:,} rows")
        ratio = wide["ratios"]["ours_vs_raw_duckdb_copy"]
        add("wide >= 0.7x a raw DuckDB COPY of the same bytes", f"{_fmt(ratio, '.2f')}x",
            None if ratio is None else ratio >= 0.7, f"at {wide['rows']:,} rows; "
            f"PostgreSQL COPY: {_fmt(wide['ratios']['ours_vs_raw_postgres_copy'], '.2f')}x")
        for label, obj in (("narrow", narrow), ("wide", wide)):
            ratio = obj["ratios"]["ours_vs_provider"]
            add(f">= 10x the provider's REST path ({label})", f"{_fmt(ratio, '.1f')}x",
                None if ratio is None else ratio >= 10,
                f"provider at {obj['provider_rows']:,} rows, ours at {obj['rows']:,}")
        peak = max(narrow["paths"]["ours"]["peak_rss_mb_max"], wide["paths"]["ours"]["peak_rss_mb_max"])
        add("peak RSS <= 512 MB", f"{peak:,.0f} MB", peak <= 512,
            f"extraction process, at {narrow['rows']:,} narrow / {wide['rows']:,} wide rows"
            + ("" if wide["rows"] >= 10_000_000 else " (the target is for 10M wide rows)"))
    cy = results.get("cycle")
    if cy:
        u = cy["unchanged"]
        add("unchanged 200-object cycle <= 60 s with 0 Bulk jobs", f"{u['seconds']:.1f} s, {u['bulk_jobs']} Bulk jobs",
            u["seconds"] <= 60 and u["bulk_jobs"] == 0 and u["planned"] == 0,
            f"{u['objects_probed']} objects probed, {u['api_calls']:.0f} API calls")
    inc = results.get("incremental")
    if inc and inc.get("ratio_large_vs_small") is not None:
        sizes = sorted(inc["sizes"].values(), key=lambda s: s["rows"])
        ratio = inc["ratio_large_vs_small"]
        add(f"{sizes[-1]['rows']:,}-row incremental <= 1.3x the {sizes[0]['rows']:,}-row one",
            f"{ratio:.2f}x", ratio <= 1.3, "the target: 10M vs 1M" if sizes[-1]["rows"] != 10_000_000 else "")
    dp = results.get("dag_parse")
    if dp:
        add("DAG file < 1 s (ours and Cosmos's imports)", f"{dp['ours_and_cosmos_s']:.2f} s",
            dp["ours_and_cosmos_s"] < 1, f"ours alone {dp['ours_alone_s']:.2f} s")
    return out


def table(results: dict) -> str:
    lines: list[str] = []
    cfg = results["config"]
    lines.append(f"make bench: medians of {cfg['repeats']} runs per figure, each path in its own process "
                 f"(2-core machine shared with other work: wall times vary; CPU seconds vary less)")
    load = results["machine"]
    lines.append(f"load average at start {load['load_average_at_start'][0]:.1f}, at end "
                 f"{load.get('load_average_at_end', [0])[0]:.1f}; total {results.get('seconds', 0) / 60:.1f} min")
    tp = results.get("throughput")
    if tp:
        lines.append("")
        pages = ", ".join(f"{label} {tp['objects'][label]['paths']['ours'].get('pages', '?')} pages"
                          for label in ("narrow", "wide"))
        lines.append(f"1. Extract + land, full extraction (Bulk result pages of at most {tp['page_rows']:,} rows; "
                     f"{pages})")
        header = (f"   {'path':<44} {'object':<7} {'rows':>10} {'s':>7} {'rows/s':>9} {'MB/s':>6} "
                  f"{'peak RSS MB':>11} {'CPU s/M rows':>12} {'org CPU s':>9}")
        lines.append(header)
        names = {"ours": "ours: extract_object, Bulk 2.0 -> DuckDB",
                 "ours_postgres": "ours: extract_object -> PostgreSQL",
                 "ours_fakesnow": "ours -> Snowflake AS FAKESNOW SERVES IT",
                 "raw_duckdb_copy": "raw DuckDB COPY of the same CSV files",
                 "raw_postgres_copy": "raw PostgreSQL COPY FROM STDIN (psycopg 3)",
                 "provider_rest": "provider: make_query + write_object_to_file"}
        for path, name in names.items():
            for label in ("narrow", "wide"):
                p = tp["objects"][label]["paths"].get(path) or {}
                if "error" in p:
                    lines.append(f"   {name:<44} {label:<7} failed: {p['error'].splitlines()[0][:80]}")
                    continue
                lines.append(
                    f"   {name:<44} {label:<7} {_fmt(p.get('rows')):>10} {_fmt(p.get('seconds'), '.2f'):>7} "
                    f"{_fmt(p.get('rows_per_s')):>9} {_fmt(p.get('mb_per_s'), '.1f'):>6} "
                    f"{_fmt(p.get('peak_rss_mb')):>11} {_fmt(p.get('cpu_s_per_million_rows'), '.1f'):>12} "
                    f"{_fmt(p.get('org_cpu_s'), '.1f'):>9}")
        for label in ("narrow", "wide"):
            r = tp["objects"][label]["ratios"]
            lines.append(f"   ratios ({label}, throughput): ours / raw DuckDB COPY {_fmt(r['ours_vs_raw_duckdb_copy'], '.2f')}"
                         f", ours / raw PostgreSQL COPY {_fmt(r['ours_vs_raw_postgres_copy'], '.2f')}"
                         f", ours / provider {_fmt(r['ours_vs_provider'], '.1f')}")
            lines.append(f"   ratio ({label}): ours into PostgreSQL / raw PostgreSQL COPY "
                         f"{_fmt(r.get('ours_postgres_vs_raw_postgres_copy'), '.2f')}")
        for label in ("narrow", "wide"):
            phases = tp["objects"][label]["paths"]["ours"].get("phases") or []
            if phases:
                ph = phases[len(phases) // 2]
                lines.append(f"   ours {label}, one run: Bulk job created {_fmt(ph.get('first_job_created'), '.2f')} s, "
                             f"first page on disk {_fmt(ph.get('first_page_downloaded'), '.2f')} s, last page "
                             f"landed {_fmt(ph.get('last_page_landed'), '.2f')} s, committed "
                             f"{_fmt(ph.get('last_after_commit'), '.2f')} s")
        lines.append("   (the provider's figure ends at its CSV file: loading it into a warehouse is not counted; "
                     "CPU s/M rows is the measured section's, org CPU s the sandbox process's)")
        lines.append("   (the Snowflake row is about fakesnow: DuckDB behind Snowflake's wire protocol on loopback, PUT "
                     "over HTTP; its CPU column is the client's only; it says nothing of a real Snowflake account's speed)")
    cy = results.get("cycle")
    if cy:
        u, f = cy["unchanged"], cy["first"]
        lines.append("")
        lines.append(f"2. Unchanged cycle over every object of the org ({u['objects_seen']} in the describe)")
        lines.append(f"   first cycle (full extraction): {f['seconds']:.1f} s, {f['planned']} objects, {f['rows']:,} rows, "
                     f"{f['org_api_calls']} API calls, {f['org_bulk_jobs']} Bulk jobs"
                     + (f", {len(f['failures'])} failures" if f["failures"] else ""))
        lines.append(f"   unchanged cycle: {u['seconds']:.2f} s (plan {u['plan_seconds']:.2f} s), {u['api_calls']:.0f} API "
                     f"calls, {u['bulk_jobs']} Bulk jobs created (audit: {u['bulk_jobs_audit']}), "
                     f"{u['objects_probed']} objects probed, {u['planned']} planned, {u['rows']} rows landed; "
                     f"runs {u['seconds_all']}")
    inc = results.get("incremental")
    if inc:
        lines.append("")
        lines.append(f"3. Incremental run after {inc['changes']:,} updates (plan probe + extract_object, "
                     f"Bench_Narrow__c)")
        lines.append(f"   {'table rows':>12} {'total s':>8} {'plan s':>7} {'extract s':>9} {'received':>9} "
                     f"{'landed':>7} {'route':>6} {'API calls':>9} {'peak RSS MB':>11}  runs")
        for size in sorted(inc["sizes"].values(), key=lambda s: s["rows"]):
            lines.append(f"   {size['rows']:>12,} {size['seconds']:>8.2f} {size['plan_seconds']:>7.2f} "
                         f"{size['extract_seconds']:>9.2f} {size['rows_received']:>9,} {size['rows_landed']:>7,} "
                         f"{','.join(size['routes']):>6} {size['api_calls']:>9} {size['peak_rss_mb']:>11,.0f}  "
                         f"{size['seconds_all']}")
        if inc.get("ratio_large_vs_small") is not None:
            lines.append(f"   ratio largest / smallest: {inc['ratio_large_vs_small']:.2f}")
    xo = results.get("crossover")
    if xo:
        lines.append("")
        lines.append(f"4. REST vs Bulk crossover (extract_object of a delta, {xo['object']} of {xo['object_rows']:,} rows; "
                     f"seconds, API calls)")
        latencies = sorted({r["bulk_latency_s"] for r in xo["rows"] if r["route"] == "bulk"})
        head = f"   {'delta':>8} {'received':>9} {'REST':>14}" + "".join(
            f" {'Bulk, latency ' + format(lat, 'g') + ' s':>22}" for lat in latencies)
        lines.append(head)
        for delta in sorted({r["delta"] for r in xo["rows"]}):
            rest = next(r for r in xo["rows"] if r["delta"] == delta and r["route"] == "rest")
            cells = f"{rest['seconds']:6.2f} s {rest['api_calls']:3d} c"
            line = f"   {delta:>8,} {rest['rows_received']:>9,} {cells:>14}"
            for lat in latencies:
                bulk = next(r for r in xo["rows"] if r["delta"] == delta and r["route"] == "bulk"
                            and r["bulk_latency_s"] == lat)
                cells = f"{bulk['seconds']:6.2f} s {bulk['api_calls']:3d} c"
                line += f" {cells:>22}"
            lines.append(line)
        for lat, found in xo["crossover_rows"].items():
            lines.append(f"   crossover with Bulk latency {lat} s: {found['text']}")
        lines.append(f"   default ExtractOptions.rest_max_rows: {xo['default_rest_max_rows']:,}")
    dp = results.get("dag_parse")
    if dp:
        lines.append("")
        lines.append("5. DAG parse (fresh interpreter, import time)")
        lines.append(f"   Airflow (airflow.sdk, standard operators): {dp['airflow_s']:.2f} s; dags/salesforce_medallion.py "
                     f"(ours and Cosmos's): {dp['ours_and_cosmos_s']:.2f} s (of which Cosmos alone "
                     f"{dp['cosmos_alone_s']:.2f} s, ours alone {dp['ours_alone_s']:.2f} s); {dp['tasks']} tasks")
    lines.append("")
    lines.append("Targets (printed, never asserted)")
    for t in results.get("targets", []):
        lines.append(f"   {t['verdict']:<4}  {t['target']:<56} {t['figure']:>22}  {t['note']}")
    return "\n".join(lines)

"""``make bench``: what extraction costs, measured against the sandbox org. A benchmark, never a test: nothing here
asserts a timing; targets are printed next to the figures as PASS/MISS.

What it measures (issue 6, point 6, quoted):

    1. Extract + land throughput in rows/s, MB/s, peak RSS and CPU seconds per million rows, for the narrow and the
       wide object, side by side in one run with: (a) ours (extract_object through Bulk API 2.0 into DuckDB, a full
       extraction); (b) the Airflow Salesforce provider's REST path on the same sandbox data:
       `SalesforceHook.make_query` plus `write_object_to_file` as its transfer operators do (an Airflow connection
       in the child's environment, AIRFLOW_CONN_SALESFORCE_DEFAULT with the loopback `domain` trick and
       REQUESTS_CA_BUNDLE = the sandbox CA bundle; run it at a smaller size if it would run out of memory, and say
       so; it holds everything in memory); (c) a raw COPY of the same CSV bytes (download the Bulk result pages once
       to files, then time DuckDB `COPY ... FROM` / `INSERT ... read_csv` into a fresh table, and PostgreSQL
       `COPY ... FROM STDIN` through psycopg 3 into a fresh table of the same columns in a database the bench
       creates and drops). Ratios: ours / raw DuckDB COPY, ours / raw PostgreSQL COPY, ours / provider.
    2. A 200-object cycle with nothing changed: after a full extraction of every object of an org (the sandbox's
       218 objects at a small scale), a second `plan_cycle` (+ extracting whatever it plans, which must be
       nothing) — wall time, API calls, Bulk jobs created (from the org's /usage or the audit), objects probed.
    3. The cost of an incremental run at 1M and 10M rows (Bench_Narrow__c) with the same 10k changes (the
       sandbox's `update` mutation on 10,000 rows): after a full extraction, mutate, then time the incremental
       extract_object (plan probe included if you can) — report both and their ratio. Default sizes can be smaller
       (e.g. 200k and 2M) with env vars for 1M/10M; the JSON says which.
    4. The REST vs Bulk crossover: time extract_object through REST (rest_max_rows huge) and through Bulk
       (rest_max_rows=0) for deltas of several sizes, with the sandbox's default Bulk latency 0 and with a
       realistic floor (`bulk_job_latency_seconds`, e.g. 5 s; Salesforce documents Bulk jobs taking seconds to
       start); report the crossover sizes, API calls per route, and compare with the default
       ExtractOptions.rest_max_rows.
    5. DAG parse time: in a fresh interpreter, time the imports Airflow needs anyway (airflow.sdk, the standard
       provider's operators) and then the import of dags/salesforce_medallion.py (with MEDALLION_MANIFEST_PATH
       set): report Airflow's import time and "ours and Cosmos's" separately. Target: ours < 1 s.

    Added with issue 7: (d) ours into PostgreSQL (extract_object through Bulk API 2.0 into PostgresBronzeWriter:
    COPY FROM STDIN into a temp table, then one INSERT ... SELECT into bronze, one transaction), next to (c)'s raw
    PostgreSQL COPY of the same bytes: ratio ours into PostgreSQL / raw PostgreSQL COPY. (e) ours into Snowflake as
    `fakesnow -s` serves it (SnowflakeBronzeWriter: PUT to a temporary stage, COPY INTO a staging table, the same
    set SQL): a figure about fakesnow (DuckDB behind Snowflake's wire protocol on loopback), not about Snowflake.

    Targets to print next to the figures (PASS/MISS, never asserted): narrow >= 150k rows/s; wide >= 0.7x a raw
    COPY of the same bytes; >= 10x the provider's REST path; peak RSS <= 512 MB (at 10M wide rows when run at that
    size); unchanged 200-object cycle <= 60 s with 0 Bulk jobs; 10M incremental <= 1.3x the 1M one; DAG file < 1 s.

How
---
``python -m scripts.bench`` (``make bench``). Every org is a sandbox in its own process
(``scripts/local_env.start_sandbox``, ``--scale 0.01 --extra custom_scale=0 rows.<Object>=N`` for the benchmark
objects); every measured path is a child process of its own (``scripts/bench/child.py``), so its peak RSS
(``os.wait4``'s ``ru_maxrss``, the child's VmHWM) and CPU seconds are that path's alone. Rates use the wall time
and CPU seconds of the measured section inside the child (interpreter start-up and imports left out); "org CPU s" is
what the sandbox process spent meanwhile, to tell when the sandbox is the bottleneck. Figures are medians of
``BENCH_REPEATS`` runs. Output: a table on stdout, and JSON in ``.medallion/bench/results-<timestamp>.json`` and
``.medallion/bench/latest.json``; child logs in ``.medallion/bench/logs/``.

Environment variables (defaults finish in about 10-15 minutes on the 2-core machine):

| variable | default | what |
|---|---|---|
| BENCH_REPEATS | 3 | runs per figure (medians) |
| BENCH_NARROW_ROWS, BENCH_WIDE_ROWS | 1000000, 100000 | sizes of Bench_Narrow__c / Bench_Wide__c for 1. |
| BENCH_PROVIDER_NARROW_ROWS, BENCH_PROVIDER_WIDE_ROWS | 50000, 5000 | rows the provider's REST path reads (``LIMIT``): it holds every record in memory, as Python dicts and then a DataFrame |
| BENCH_PAGE_ROWS | ExtractOptions' default | Bulk result page size for ours and for the raw COPY's files |
| BENCH_CYCLE_SCALE, BENCH_CYCLE_CUSTOM_SCALE | 0.05, 0.02 | the 218-object org of 2. |
| BENCH_INCREMENTAL_ROWS | 200000,2000000 | the two Bench_Narrow__c sizes of 3. |
| BENCH_CHANGES | 10000 | rows updated before the incremental run |
| BENCH_CROSSOVER_DELTAS | 1000,5000,10000,25000,50000 | delta sizes of 4. (on the smaller org of 3.) |
| BENCH_CROSSOVER_REPEATS | min(3, BENCH_REPEATS) | runs per crossover point |
| BENCH_BULK_LATENCY_S | 5 | the realistic Bulk job floor of 4. (the other is the sandbox's default, 0) |
| BENCH_ONLY | all | comma-separated sections: throughput, cycle, incremental, crossover, dagparse |
| BENCH_PG_DSN | host=127.0.0.1 port=5432 user=postgres dbname=postgres | where the bench creates (and drops) database ``medallion_bench`` |
| BENCH_PG_DATABASE | medallion_bench | the name of that database (raw COPY and ours into PostgreSQL land there) |

The 1M/10M-row figures (each takes longer: 10M narrow rows are about 2.3 GB of CSV, 10M wide rows about 23 GB)::

    BENCH_ONLY=incremental BENCH_INCREMENTAL_ROWS=1000000,10000000 make bench
    BENCH_ONLY=throughput BENCH_NARROW_ROWS=10000000 BENCH_WIDE_ROWS=10000000 BENCH_REPEATS=1 make bench
"""

"""The benchmark's sizes and switches, from environment variables (defaults: about 10-15 minutes on 2 cores)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass

SECTIONS = ("throughput", "cycle", "incremental", "crossover", "dagparse")


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(float(p)) for p in text.replace("_", "").split(",") if p.strip())


@dataclass(frozen=True)
class Config:
    repeats: int = 3
    narrow_rows: int = 1_000_000
    wide_rows: int = 100_000
    provider_narrow_rows: int = 50_000
    provider_wide_rows: int = 5_000
    page_rows: int | None = None  # None: ExtractOptions' default bulk_page_rows
    cycle_scale: float = 0.05
    cycle_custom_scale: float = 0.02
    incremental_rows: tuple[int, ...] = (200_000, 2_000_000)
    changes: int = 10_000
    crossover_deltas: tuple[int, ...] = (1_000, 5_000, 10_000, 25_000, 50_000)
    crossover_repeats: int = 3
    bulk_latency_s: float = 5.0
    sections: frozenset[str] = frozenset(SECTIONS)
    pg_admin_dsn: str = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    pg_database: str = "medallion_bench"

    @property
    def pg_bench_dsn(self) -> str:
        parts = [p for p in self.pg_admin_dsn.split() if not p.startswith("dbname=")]
        return " ".join(parts + [f"dbname={self.pg_database}"])

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Config":
        env = os.environ if environ is None else environ
        d = cls()

        def get(name, default, convert=int):
            value = env.get(name)
            return default if value in (None, "") else convert(value.replace("_", "") if convert is int else value)

        sections = frozenset(s.strip() for s in env.get("BENCH_ONLY", "").split(",") if s.strip()) or d.sections
        unknown = sections - set(SECTIONS)
        if unknown:
            raise SystemExit(f"BENCH_ONLY: unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
        repeats = get("BENCH_REPEATS", d.repeats)
        return cls(
            repeats=repeats,
            narrow_rows=get("BENCH_NARROW_ROWS", d.narrow_rows),
            wide_rows=get("BENCH_WIDE_ROWS", d.wide_rows),
            provider_narrow_rows=get("BENCH_PROVIDER_NARROW_ROWS", d.provider_narrow_rows),
            provider_wide_rows=get("BENCH_PROVIDER_WIDE_ROWS", d.provider_wide_rows),
            page_rows=get("BENCH_PAGE_ROWS", d.page_rows),
            cycle_scale=get("BENCH_CYCLE_SCALE", d.cycle_scale, float),
            cycle_custom_scale=get("BENCH_CYCLE_CUSTOM_SCALE", d.cycle_custom_scale, float),
            incremental_rows=get("BENCH_INCREMENTAL_ROWS", d.incremental_rows, _ints),
            changes=get("BENCH_CHANGES", d.changes),
            crossover_deltas=get("BENCH_CROSSOVER_DELTAS", d.crossover_deltas, _ints),
            crossover_repeats=get("BENCH_CROSSOVER_REPEATS", min(repeats, d.crossover_repeats)),
            bulk_latency_s=get("BENCH_BULK_LATENCY_S", d.bulk_latency_s, float),
            sections=sections,
            pg_admin_dsn=env.get("BENCH_PG_DSN") or d.pg_admin_dsn,
            pg_database=env.get("BENCH_PG_DATABASE") or d.pg_database,
        )

    def as_dict(self) -> dict:
        data = asdict(self)
        data["sections"] = sorted(self.sections)
        return data

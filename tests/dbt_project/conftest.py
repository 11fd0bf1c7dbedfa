"""Fixtures: the bronze fixture built with `dbt build` on a fresh DuckDB file and a fresh PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from warehouse_builds import (
    BronzeTable,
    BuiltWarehouse,
    failures,
    land_bronze_duckdb,
    land_bronze_postgres,
    land_bronze_snowflake,
    postgres_conninfo,
    read_bronze_fixture,
    run_dbt_build,
    snapshot_duckdb,
    snapshot_postgres,
    snapshot_snowflake,
)


@pytest.fixture(scope="session")
def bronze_fixture() -> list[BronzeTable]:
    return read_bronze_fixture()


@pytest.fixture(scope="module")
def duckdb_warehouse(tmp_path_factory, bronze_fixture) -> BuiltWarehouse:
    work_dir = tmp_path_factory.mktemp("dbt_duckdb")
    db_path = work_dir / "warehouse.duckdb"
    land_bronze_duckdb(db_path, bronze_fixture)
    result = run_dbt_build("local", work_dir, MEDALLION_DUCKDB_PATH=str(db_path))
    assert result.success, failures(result)
    return BuiltWarehouse("duckdb", result, snapshot_duckdb(db_path), db_path=db_path, work_dir=work_dir,
                          env={"MEDALLION_DUCKDB_PATH": str(db_path)})


@pytest.fixture(scope="module")
def postgres_warehouse(tmp_path_factory, bronze_fixture) -> Iterator[BuiltWarehouse]:
    import psycopg

    try:
        admin = psycopg.connect(postgres_conninfo("postgres"), autocommit=True)
    except psycopg.OperationalError as error:  # developer and CI machines run it: its absence is a failure
        pytest.fail(f"PostgreSQL is not reachable on 127.0.0.1:5432 (start it; see README): {error}")
    dbname = f"medallion_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'create database "{dbname}"')
    try:
        work_dir = tmp_path_factory.mktemp("dbt_postgres")
        conninfo = postgres_conninfo(dbname)
        land_bronze_postgres(conninfo, bronze_fixture)
        result = run_dbt_build("postgres", work_dir, MEDALLION_PG_DATABASE=dbname)
        assert result.success, failures(result)
        yield BuiltWarehouse("postgres", result, snapshot_postgres(conninfo), work_dir=work_dir,
                             env={"MEDALLION_PG_DATABASE": dbname})
    finally:
        admin.execute(f'drop database if exists "{dbname}" with (force)')
        admin.close()


@pytest.fixture(scope="module")
def snowflake_warehouse(tmp_path_factory, bronze_fixture, fakesnow_server) -> BuiltWarehouse:
    """The fixture built on Snowflake as `fakesnow -s` serves it (a database of its own on the session's server)."""
    env = fakesnow_server.profile_env() | {"MEDALLION_SF_DATABASE": f"DBT_{uuid.uuid4().hex[:12].upper()}"}
    work_dir = tmp_path_factory.mktemp("dbt_snowflake")
    land_bronze_snowflake(env, bronze_fixture)
    result = run_dbt_build("snowflake", work_dir, **env)
    assert result.success, failures(result)
    return BuiltWarehouse("snowflake", result, snapshot_snowflake(env), work_dir=work_dir, env=env)


@pytest.fixture(scope="module", params=["duckdb", "postgres", "snowflake"])
def warehouse(request) -> BuiltWarehouse:
    """The fixture built on each warehouse: tests using it must pass on DuckDB, PostgreSQL and Snowflake alike."""
    return request.getfixturevalue(f"{request.param}_warehouse")

"""The DAG glue of the bronze store: its setting (config.py) and how a task opens it (ObjectStoragePath)."""

from __future__ import annotations

from pathlib import Path

from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from dags.medallion.config import load
from dags.medallion.extract_tasks import open_bronze_store


def test_the_store_is_on_by_default_under_the_state_dir_and_can_be_turned_off(tmp_path):
    settings = load({"MEDALLION_STATE_DIR": str(tmp_path)})
    assert settings.bronze_store_args() == {"url": str(tmp_path / "bronze_store"), "conn_id": None}
    assert load({"MEDALLION_BRONZE_STORE": "off"}).bronze_store_args() is None
    s3 = load({"MEDALLION_BRONZE_STORE": "s3://lake/bronze", "MEDALLION_BRONZE_STORE_CONN_ID": "aws_default"})
    assert s3.bronze_store_args() == {"url": "s3://lake/bronze", "conn_id": "aws_default"}


def test_a_task_opens_the_store_through_object_storage_path_or_fsspec(tmp_path):
    local = open_bronze_store({"url": str(tmp_path / "store"), "conn_id": None}, {"work_dir": str(tmp_path / "w")})
    assert isinstance(local.fs, LocalFileSystem) and local.root == str(tmp_path / "store")
    assert local.work_dir == Path(tmp_path / "w")
    memory = open_bronze_store({"url": "memory://glue-test/store", "conn_id": None})  # no Airflow filesystem
    assert isinstance(memory.fs, MemoryFileSystem) and memory.root == "/glue-test/store"
    assert open_bronze_store(None) is None

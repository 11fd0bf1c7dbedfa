"""The generated catalog: 200+ objects in describe, custom object metadata, queries over REST and Bulk 2.0,
formula fields, per-object row options and determinism."""

from __future__ import annotations

import csv
import io

import duckdb
import pytest

from sandbox.salesforce import custom_objects, ids
from sandbox.salesforce.benchmark_objects import BENCH_NARROW, BENCH_WIDE
from sandbox.salesforce.schema import OBJECTS, get_object
from sandbox.salesforce.generated_rows import RowGenerator
from sandbox.salesforce.seed import object_counts
from sandbox.salesforce.store import OrgStore, quote


def _custom_with_custom_parent():
    """The first generated object with a lookup to another generated object, and that lookup."""
    for obj in custom_objects.CUSTOM_OBJECTS:
        for f in obj.fields:
            if f.type == "reference" and f.custom and f.reference_to[0].endswith("__c"):
                return obj, f
    raise AssertionError("no custom-to-custom lookup in the catalog")


def _field_with(obj, predicate):
    return next(f for f in obj.fields if predicate(f))


def test_global_describe_lists_over_200_objects_with_custom_prefixes(sf):
    sobjects = {s["name"]: s for s in sf.describe()["sobjects"]}
    assert len(sobjects) >= 200
    custom = [s for s in sobjects.values() if s["custom"]]
    assert len(custom) >= 200
    assert all(s["name"].endswith("__c") and s["keyPrefix"].startswith("a") for s in custom)
    assert len({s["keyPrefix"] for s in sobjects.values()}) == len(sobjects)
    assert sobjects["Bench_Narrow__c"]["label"] == "Bench Narrow"
    assert {"Account", "Contact", "Invoice__c", "Shipment__c", "Bench_Wide__c"} <= set(sobjects)


def test_custom_object_describe_flags(sf):
    obj, lookup = _custom_with_custom_parent()
    described = getattr(sf, obj.name).describe()
    assert described["custom"] is True and described["keyPrefix"] == obj.key_prefix
    assert described["label"] == obj.label and described["labelPlural"] == obj.label_plural
    fields = {f["name"]: f for f in described["fields"]}
    ref = fields[lookup.name]
    assert ref["type"] == "reference" and ref["custom"] is True
    assert ref["referenceTo"] == list(lookup.reference_to) and ref["relationshipName"] == lookup.name[:-3] + "__r"
    assert fields["Id"]["custom"] is False and fields["Name"]["nameField"] is True

    formula_obj = next(o for o in custom_objects.CUSTOM_OBJECTS if any(f.formula for f in o.fields))
    formula = _field_with(formula_obj, lambda f: f.formula)
    described = getattr(sf, formula_obj.name).describe()
    fields = {f["name"]: f for f in described["fields"]}
    assert fields[formula.name]["calculated"] is True
    assert fields[formula.name]["calculatedFormula"] == formula.formula
    assert fields[formula.name]["createable"] is False and fields[formula.name]["updateable"] is False

    ext_obj = next(o for o in custom_objects.CUSTOM_OBJECTS if any(f.external_id for f in o.fields))
    ext = _field_with(ext_obj, lambda f: f.external_id)
    fields = {f["name"]: f for f in getattr(sf, ext_obj.name).describe()["fields"]}
    assert fields[ext.name]["externalId"] is True and fields[ext.name]["unique"] is True
    assert fields[ext.name]["idLookup"] is True

    pick_obj = next(o for o in custom_objects.CUSTOM_OBJECTS if any(f.type == "picklist" for f in o.fields))
    pick = _field_with(pick_obj, lambda f: f.type == "picklist")
    fields = {f["name"]: f for f in getattr(sf, pick_obj.name).describe()["fields"]}
    assert [v["value"] for v in fields[pick.name]["picklistValues"]] == list(pick.picklist_values)

    parent = get_object(lookup.reference_to[0])
    children = getattr(sf, parent.name).describe()["childRelationships"]
    assert any(c["childSObject"] == obj.name and c["field"] == lookup.name for c in children)


def test_rest_query_follows_custom_relationships(sf, sf_sandbox):
    obj, lookup = _custom_with_custom_parent()
    relationship = lookup.relationship_name
    result = sf.query(
        f"SELECT Id, Name, {lookup.name}, {relationship}.Name FROM {obj.name} WHERE {lookup.name} != null LIMIT 20"
    )
    assert result["records"], "the seed fills lookups"
    parent = get_object(lookup.reference_to[0])
    parents = {r["Id"]: r["Name"] for r in sf_sandbox.org.rows(parent.name)}
    for record in result["records"]:
        assert record["attributes"]["type"] == obj.name
        assert record["Id"].startswith(obj.key_prefix)
        assert record[relationship]["Name"] == parents[record[lookup.name]]


def test_bulk2_query_on_a_custom_object(sf, sf_sandbox):
    obj = custom_objects.CUSTOM_OBJECTS[0]
    names = [f.name for f in obj.stored_fields]
    soql = f"SELECT {', '.join(names)} FROM {obj.name}"
    pages = list(getattr(sf.bulk2, obj.name).query(soql, max_records=500, wait=0))
    rows = [row for page in pages for row in csv.DictReader(io.StringIO(page))]
    stored = sf_sandbox.org.rows(obj.name, 'NOT "IsDeleted"')  # query leaves out the Recycle Bin the org ships with
    assert len(rows) == len(stored) == sf_sandbox.org.count(obj.name, 'NOT "IsDeleted"') > 0
    assert sf_sandbox.org.count(obj.name, '"IsDeleted"') > 0
    assert [r["Id"] for r in rows] == [s["Id"] for s in stored]
    first = rows[0]
    assert first["IsDeleted"] == "false"
    assert first["CreatedDate"].endswith(".000Z") and len(first["CreatedDate"]) == 24


def test_formula_fields_hold_their_formula_values(sf_sandbox):
    with_formula = [(obj, f) for obj in custom_objects.CUSTOM_OBJECTS for f in obj.fields if f.name == "Total_Value__c"]
    assert with_formula, "the catalog (fixed by CATALOG_SEED) has Total_Value__c formulas"
    checked = 0
    for obj, f in with_formula:
        if not sf_sandbox.org.count(obj.name):
            continue
        a, b = f.formula.split(" * ")
        assert sf_sandbox.org.count(obj.name, f'"Total_Value__c" IS DISTINCT FROM "{a}" * "{b}"') == 0
        checked += 1
    assert checked > 0


def test_benchmark_shapes():
    assert len(BENCH_NARROW.fields) <= 12
    assert len(BENCH_WIDE.fields) == 150
    assert len({f.type for f in BENCH_WIDE.fields}) >= 12


def test_row_options_size_one_object():
    counts = object_counts(1.0, {"rows.bench_narrow__c": "10000000", "custom_scale": "0"})
    assert counts["Bench_Narrow__c"] == 10_000_000
    assert counts["Bench_Wide__c"] == 0
    assert all(counts[o.name] == 0 for o in custom_objects.CUSTOM_OBJECTS)
    assert counts["Account"] == 600
    big = object_counts(100.0)
    assert big["Account"] == 60_000 and big["Bench_Narrow__c"] == 1000
    assert all(big[o.name] == custom_objects.BASE_ROWS[o.name] for o in custom_objects.CUSTOM_OBJECTS)
    assert object_counts(100.0, {"custom_scale": "3"})["Invoice__c"] == 3 * custom_objects.BASE_ROWS["Invoice__c"]
    with pytest.raises(ValueError):
        object_counts(1.0, {"rows.No_Such__c": "5"})


def _fingerprint(tmp_path, seed: int, name: str) -> list[tuple]:
    """Seed 20 custom objects and the wide benchmark object the way seed_org does, and hash their rows."""
    objects = (*custom_objects.CUSTOM_OBJECTS[:20], BENCH_WIDE)
    counts = object_counts(0.01, {"custom_scale": "0.05"})
    store = OrgStore(tmp_path / f"{name}.duckdb", tmp_path / f"{name}-tmp")
    try:
        generator = RowGenerator(seed, counts)
        with store.write() as cur:
            generator.prepare(cur)
            for obj in objects:
                cur.execute(generator.insert_sql(obj, counts[obj.name]))
        with store.read() as cur:
            return [
                cur.execute(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {quote(obj.name)}").fetchone()
                for obj in objects
            ]
    finally:
        store.close()


def test_same_seed_same_catalog_and_rows(tmp_path):
    assert custom_objects._build() == custom_objects.GENERATED_CUSTOM_OBJECTS
    assert len(OBJECTS) >= 200
    first = _fingerprint(tmp_path, 7, "a")
    assert first == _fingerprint(tmp_path, 7, "b")
    assert first != _fingerprint(tmp_path, 8, "c")
    assert all(count > 0 for count, *_ in first)


def test_fast_id_sql_matches_make_id():
    con = duckdb.connect()
    for statement in ids.sql_macros() + ids.lookup_id_sql():
        con.execute(statement)
    sequences = [0, 1, 61, 62, 3843, 3844, 62 ** 4, 62 ** 5 - 1, 62 ** 5, 62 ** 7 + 3, 62 ** 10 - 1]
    sequences += list(range(5, 62 ** 5, 62 ** 5 // 997))
    for prefix in ("001", "a0B", "00Q", "aZz"):
        expected = [ids.make_id(prefix, s) for s in sequences]
        sql = con.execute("SELECT sf_id(?, s) FROM unnest(?::BIGINT[]) t(s)", [prefix, sequences]).fetchall()
        assert [r[0] for r in sql] == expected
        small = [s for s in sequences if s < 62 ** 5]
        looked_up = con.execute(
            f"SELECT {ids.lookup_id_expr(prefix, 's')} FROM unnest(?::BIGINT[]) t(s), __id_lookup __idl", [small]
        ).fetchall()
        assert [r[0] for r in looked_up] == [ids.make_id(prefix, s) for s in small]


def test_rest_writes_recalculate_formula_fields(sf):
    obj = next(o for o in custom_objects.CUSTOM_OBJECTS
               if o.field("Total_Value__c") and not o.field("Name").auto_number)
    a, b = obj.field("Total_Value__c").formula.split(" * ")
    sobject = getattr(sf, obj.name)
    created = sobject.create({"Name": "Formula check", a: 12.5, b: 4})
    assert created["success"] and created["id"].startswith(obj.key_prefix)
    assert sobject.get(created["id"])["Total_Value__c"] == 50.0
    sobject.update(created["id"], {a: 10})
    assert sobject.get(created["id"])["Total_Value__c"] == 40.0

{#-
    Silver for any extracted Salesforce object, typed from the field metadata extraction lands
    (bronze.salesforce_fields): the select of a generated int_salesforce_object__<object> model
    (dags/medallion/silver_objects.py writes one per object into dbt_project/silver/salesforce_objects/).

    One row per record (id) per org (source_relation): its latest landed version (highest cursor field:
    SystemModstamp, else LastModifiedDate, else CreatedDate; ties broken by the latest _extracted_at, then
    _batch_id), every field the describe lists as extracted, cast to its Salesforce type (boolean; int -> bigint;
    double, currency, percent -> numeric; date; datetime -> timestamp in UTC; anything else text), unparseable
    values NULL. A field one org's bronze lacks (hidden by field-level security there, or newer than its table) is
    a typed NULL: a hidden field never fails a build. Deleted records are kept, flagged:
      is_deleted     - IsDeleted on the latest version, or a tombstone (bronze.salesforce_tombstones) recorded
                       after the latest version landed
      deletion_kind  - 'hard_delete' (tombstone), 'merge' (deleted with a MasterRecordId: a merge loser),
                       'soft_delete' (the Recycle Bin); NULL when live
      deleted_at     - the tombstone's detection time, else the deleted version's cursor value
      master_id      - the record a merge loser was merged into (its MasterRecordId), else the record's own id
    plus _batch_id, _extracted_at (of the latest version), _version_count and _bronze_extracted_at (the latest
    bronze row or tombstone of the record that was read: the incremental watermark).

    Incremental (delete+insert on (id, source_relation)): a run reads, per org, the bronze rows and tombstones
    landed after the highest _bronze_extracted_at silver holds for that org, and recomputes only those records
    from all their versions. Bronze batches must commit in _extracted_at order per org (extraction lands one batch
    of an object at a time and the DAG builds silver after it).

    var('bronze_as_of'): a batch id (looked up in audit.extract_batches) or a timestamp; with --full-refresh,
    silver as it was when that batch had landed (bronze rows and tombstones landed after it are left out).

    Without any metadata for the object (landed before extraction recorded it) every landed column is kept as text.
-#}
{% macro salesforce_silver_object(object_name) -%}
    {%- set object_key = object_name | lower -%}
    {%- if not modules.re.fullmatch('[a-z][a-z0-9_]*', object_key) -%}
        {{ exceptions.raise_compiler_error("salesforce_silver_object: '" ~ object_name ~ "' is not an object name") }}
    {%- endif -%}
    {%- set tombstones = source('salesforce', 'tombstones') -%}
    {%- set fields_table = api.Relation.create(database=tombstones.database, schema=tombstones.schema,
                                               identifier='salesforce_fields') -%}
    {%- set as_of = medallion._bronze_as_of() -%}
    {%- if as_of is not none and is_incremental() -%}
        {{ exceptions.raise_compiler_error("bronze_as_of rebuilds silver as of a past batch: run with --full-refresh") }}
    {%- endif -%}
    {%- set kinds = {'boolean': 'boolean', 'int': 'integer', 'double': 'number', 'currency': 'number',
                     'percent': 'number', 'date': 'date', 'datetime': 'timestamp'} -%}

    {#- The orgs' bronze tables that exist, with their columns; the object's fields from the metadata. -#}
    {%- set orgs = [] -%}
    {%- set columns = [] -%}
    {%- set column_kinds = {} -%}
    {%- set has_tombstones = false -%}
    {%- if execute -%}
        {%- for org_source in medallion.salesforce_sources() -%}
            {%- set relation = load_relation(api.Relation.create(database=tombstones.database,
                    schema=tombstones.schema, identifier=org_source ~ '__' ~ object_key)) -%}
            {%- if relation is not none -%}
                {%- set landed = [] -%}
                {%- for column in adapter.get_columns_in_relation(relation) -%}
                    {%- do landed.append(column.name | lower) -%}
                {%- endfor -%}
                {%- do orgs.append((org_source, relation, landed)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set has_tombstones = load_relation(tombstones) is not none -%}
        {%- if load_relation(fields_table) is not none -%}
            {%- set described = run_query(
                "select lower(column_name), min(field_type), max(field_type), min(field_position) from "
                ~ fields_table ~ " where lower(object_name) = '" ~ object_key ~ "' and is_extracted"
                ~ " and _source in ('" ~ (medallion.salesforce_sources() | join("', '")) ~ "')"
                ~ " group by lower(column_name) order by min(field_position), lower(column_name)") -%}
            {%- for row in described.rows -%}
                {%- set name = row[0] -%}
                {%- if modules.re.fullmatch('[a-z][a-z0-9_]*', name) -%}
                    {%- do columns.append(name) -%}
                    {#- orgs that disagree on a field's type: text -#}
                    {%- do column_kinds.update({name: kinds.get(row[1], 'string') if row[1] == row[2] else 'string'}) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {%- if not columns -%}  {#- no metadata: every landed column, as text -#}
            {%- for org_source, relation, landed in orgs -%}
                {%- for name in landed if not name.startswith('_') and name not in columns
                                          and modules.re.fullmatch('[a-z][a-z0-9_]*', name) -%}
                    {%- do columns.append(name) -%}
                    {%- do column_kinds.update({name: 'string'}) -%}
                {%- endfor -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- if 'id' in columns -%}{%- do columns.remove('id') -%}{%- endif -%}
    {%- do columns.insert(0, 'id') -%}
    {%- do column_kinds.update({'id': 'string'}) -%}
    {%- set cursor = (['systemmodstamp', 'lastmodifieddate', 'createddate'] | select('in', columns) | list
                      + [none])[0] -%}
    {%- set has_is_deleted = 'isdeleted' in columns -%}
    {%- set has_master = 'masterrecordid' in columns -%}
    {%- set text = dbt.type_string() -%}
    {%- set stamp = dbt.type_timestamp() -%}
    {#- each parser dispatched once, not once per column (200 objects x dozens of columns at compile time) -#}
    {%- set parsers = {
        'timestamp': adapter.dispatch('safe_parse_timestamp', 'medallion'),
        'date': adapter.dispatch('safe_parse_date', 'medallion'),
        'number': adapter.dispatch('safe_parse_number', 'medallion'),
        'integer': adapter.dispatch('safe_parse_integer', 'medallion'),
        'boolean': adapter.dispatch('safe_parse_boolean', 'medallion'),
    } -%}

    {#- Incremental: per org, the latest bronze row or tombstone silver has read (a literal, so the warehouse can
        skip the older part of an append-only table: DuckDB's zone maps, Snowflake's micro-partitions). -#}
    {%- set processed = {} -%}
    {%- if execute and is_incremental() -%}
        {%- for row in run_query("select source_relation, max(_bronze_extracted_at) from " ~ this
                                 ~ " group by source_relation").rows -%}
            {%- if row[1] is not none -%}
                {%- do processed.update({row[0]: "cast('" ~ row[1] ~ "' as " ~ stamp ~ ")"}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif %}

with

landed as (
    {%- for org_source, relation, landed in orgs %}

    select
        {%- for name in columns %}
        {% if name in landed -%}
            cast(landed_row.{{ medallion._sf_column(name) }} as {{ text }})
        {%- else -%}
            cast(null as {{ text }})
        {%- endif %} as {{ medallion._sf_column(name) }},
        {%- endfor %}
        cast(landed_row._batch_id as {{ text }}) as _batch_id,
        cast(landed_row._extracted_at as {{ stamp }}) as _extracted_at,
        cast('{{ org_source }}' as {{ text }}) as source_relation
    from {{ relation }} as landed_row
    {%- if as_of is not none %}
    where landed_row._extracted_at <= {{ as_of }}
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- else %}

    select
        {%- for name in columns %}
        cast(null as {{ text }}) as {{ medallion._sf_column(name) }},
        {%- endfor %}
        cast(null as {{ text }}) as _batch_id,
        cast(null as {{ stamp }}) as _extracted_at,
        cast(null as {{ text }}) as source_relation
    where 1 = 0
    {%- endfor %}

),

hard_deletes as (

    {% if has_tombstones -%}
    select cast(_source as {{ text }}) as source_relation, cast(id as {{ text }}) as id,
        max(cast(_extracted_at as {{ stamp }})) as tombstoned_at
    from {{ tombstones }}
    where lower(object_name) = '{{ object_key }}'
    {%- if as_of is not none %}
        and _extracted_at <= {{ as_of }}
    {%- endif %}
    group by _source, id
    {%- else -%}
    select cast(null as {{ text }}) as source_relation, cast(null as {{ text }}) as id,
        cast(null as {{ stamp }}) as tombstoned_at
    where 1 = 0
    {%- endif %}

),

{% if is_incremental() -%}
changed as (

    {%- for org_source, relation, landed in orgs %}
    select cast(new_row.id as {{ text }}) as id, cast('{{ org_source }}' as {{ text }}) as source_relation
    from {{ relation }} as new_row
    {%- if org_source in processed %}
    where new_row._extracted_at > {{ processed[org_source] }}
    {%- endif %}
    union
    {%- endfor %}
    select hard_deletes.id, hard_deletes.source_relation
    from hard_deletes
    {%- if processed %}
    where case
        {%- for org_source, watermark in processed.items() %}
        when hard_deletes.source_relation = '{{ org_source }}' then hard_deletes.tombstoned_at > {{ watermark }}
        {%- endfor %}
        else true
    end
    {%- endif %}

),

versions as (

    select landed.*
    from landed
    inner join changed
        on changed.id = landed.id
        and changed.source_relation = landed.source_relation

),

{% else -%}
versions as (

    select * from landed

),

{% endif -%}
ranked as (

    select
        versions.*,
        row_number() over (
            partition by id, source_relation
            order by
                {% if cursor -%}
                case when {{ medallion._sf_column(cursor) }} is null then 1 else 0 end,
                {{ medallion._sf_column(cursor) }} desc,
                {% endif -%}
                _extracted_at desc,
                _batch_id desc
        ) as _version_rank,
        count(*) over (partition by id, source_relation) as _version_count,
        max(_extracted_at) over (partition by id, source_relation) as _last_extracted_at
    from versions
    where id is not null

),

latest as (

    select
        ranked.*,
        case when hard_deletes.tombstoned_at > ranked._extracted_at then hard_deletes.tombstoned_at end
            as _tombstoned_at,
        {% if has_is_deleted -%}
        coalesce({{ parsers['boolean'](medallion._sf_column('isdeleted')) }}, false)
        {%- else -%}
        false
        {%- endif %} as _is_soft_deleted,
        {% if has_master -%}
        nullif(trim({{ medallion._sf_column('masterrecordid') }}), '')
        {%- else -%}
        cast(null as {{ text }})
        {%- endif %} as _master_record_id,
        {% if cursor -%}
        {{ parsers['timestamp'](medallion._sf_column(cursor)) }}
        {%- else -%}
        cast(null as {{ stamp }})
        {%- endif %} as _version_stamped_at
    from ranked
    left join hard_deletes
        on hard_deletes.id = ranked.id
        and hard_deletes.source_relation = ranked.source_relation
    where ranked._version_rank = 1

)

select
    {%- for name in columns %}
    {% if column_kinds[name] == 'string' -%}
        {{ medallion._sf_column(name) }}
    {%- else -%}
        {{ parsers[column_kinds[name]](medallion._sf_column(name)) }}
    {%- endif %} as {{ medallion._sf_column(name) }},
    {%- endfor %}
    source_relation,
    (_tombstoned_at is not null or _is_soft_deleted) as is_deleted,
    cast(case
        when _tombstoned_at is not null then 'hard_delete'
        when _is_soft_deleted and _master_record_id is not null then 'merge'
        when _is_soft_deleted then 'soft_delete'
    end as {{ text }}) as deletion_kind,
    case
        when _tombstoned_at is not null then _tombstoned_at
        when _is_soft_deleted then _version_stamped_at
    end as deleted_at,
    cast(case
        when _tombstoned_at is null and _is_soft_deleted and _master_record_id is not null then _master_record_id
        else id
    end as {{ text }}) as master_id,
    _batch_id,
    _extracted_at,
    cast(_version_count as {{ dbt.type_bigint() }}) as _version_count,
    case
        when _tombstoned_at is not null and _tombstoned_at > _last_extracted_at then _tombstoned_at
        else _last_extracted_at
    end as _bronze_extracted_at
from latest
{%- endmacro %}


{#- A Salesforce column (lower case in bronze), quoted as the warehouse holds it: Snowflake folds unquoted names
    to upper case (the landing did the same), the others keep them lower case. -#}
{% macro _sf_column(name) -%}
    {{- adapter.quote(name | upper) if target.type == 'snowflake' else adapter.quote(name | lower) -}}
{%- endmacro %}


{#- var('bronze_as_of') as a SQL timestamp expression (none when unset): a timestamp as text, or a batch id whose
    extraction time audit.extract_batches holds. -#}
{% macro _bronze_as_of() -%}
    {%- set value = var('bronze_as_of', none) -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set value = value | string | trim -%}
    {%- if modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?', value) -%}
        {{ return("cast('" ~ value | replace('T', ' ') ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
    {%- endif -%}
    {%- if not modules.re.fullmatch('[A-Za-z0-9_.:-]+', value) -%}
        {{ exceptions.raise_compiler_error("bronze_as_of: '" ~ value ~ "' is neither a timestamp nor a batch id") }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query("select max(extracted_at) from audit.extract_batches where batch_id = '" ~ value ~ "'") -%}
    {%- if found.rows[0][0] is none -%}
        {{ exceptions.raise_compiler_error("bronze_as_of: no batch '" ~ value ~ "' in audit.extract_batches") }}
    {%- endif -%}
    {{ return("cast('" ~ found.rows[0][0] ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{#-
    The select of a stg_salesforce__* model: one row per landed record version, renamed and typed.

    `columns` is the object's field list: (landed column, staged name, type) with type one of
      string   - kept exactly as landed (text)
      timestamp, date, number, integer, boolean - parsed with the safe_parse_* macros (NULL when unparseable)
    Besides the fields, every staged row carries
      _parse_errors  - 'unparseable:<landed column>' for every non-empty value that did not parse, '; '-separated
                       (NULL when all parsed); silver quarantines such versions
      _raw_record    - the whole landed row as JSON text, for the quarantine
      _batch_id, _extracted_at, _source - the landing metadata;
      source_relation - the org the row came from: the source it landed under (`salesforce`,
                       `salesforce_<org name>`); a record is identified by its Id and source_relation.
    Every org the var salesforce_sources lists is staged (union_salesforce_orgs): the default org's table is
    `source_relation` itself, another org's the same table name with its source as prefix; an org whose table
    does not exist (yet) is left out, the default org's too (an org without the object): with no table at all
    the model selects no rows, with every column typed.

      _hard_deleted_at - when reconciliation found the record gone from the org (a hard delete, or purged from
                       the Recycle Bin) after this version landed (bronze.salesforce_tombstones); NULL otherwise
    A field listed here but not a column of the bronze table is staged as a typed NULL: NULL text in `landed`,
    which `staged` parses like any value, so the column has its staged type (the parser's) whatever bronze
    holds. Real orgs differ: field-level security hides fields from the integration user (never asked for, so
    never landed), an org may lack a field, and the landing contract adds a column only when the field first
    appears in the object's describe. Every model downstream sees the same columns and types either way.

    Unit tests hand in a CTE instead of the bronze table. Its columns are, by default, those dbt builds a
    dict/csv fixture from: the real bronze table's (fields it lacks are NULL as above). A test whose given is
    `format: sql` names its own columns in the var staging_landed_columns (`overrides: vars:`), so it does not
    depend on the fields the warehouse's org has.
-#}
{% macro stage_salesforce_object(source_relation, columns) -%}
    {%- set org_relations = medallion.union_salesforce_orgs(source_relation) -%}
    {#- The tombstones extraction records for this object (objects are matched by their bronze table name). -#}
    {%- set tombstones = source('salesforce', 'tombstones') -%}
    {%- set tombstones_are_test_input = ((tombstones.identifier or '') | lower).startswith('__dbt__cte__') -%}
    {%- set has_tombstones = tombstones_are_test_input or (execute and load_relation(tombstones) is not none) -%}
    {%- set object_key = (source_relation.identifier or '') | lower | replace('salesforce__', '', 1) -%}
    {%- set parsers = {
        'timestamp': medallion.safe_parse_timestamp,
        'date': medallion.safe_parse_date,
        'number': medallion.safe_parse_number,
        'integer': medallion.safe_parse_integer,
        'boolean': medallion.safe_parse_boolean,
    } -%}

with landed as (
    {%- if not org_relations %}

    {#- no org has the object (no bronze table): no rows, every column typed as landed (text) -#}
    select
        {%- for landed, staged, type in columns %}
        cast(null as {{ dbt.type_string() }}) as {{ landed }},
        {%- endfor %}
        cast(null as {{ dbt.type_string() }}) as _batch_id,
        cast(null as {{ dbt.type_timestamp() }}) as _extracted_at,
        cast(null as {{ dbt.type_string() }}) as _source,
        cast(null as {{ dbt.type_string() }}) as source_relation,
        cast(null as {{ dbt.type_string() }}) as _raw_record
    where 1 = 0
    {%- endif %}
    {%- for org_source, relation in org_relations %}
    {%- set landed_columns = medallion.salesforce_landed_columns(relation) %}

    select
        {%- for landed, staged, type in columns %}
        {% if landed_columns and landed not in landed_columns -%}
            cast(null as {{ dbt.type_string() }})
        {%- else -%}
            landed_row.{{ landed }}
        {%- endif %} as {{ landed }},
        {%- endfor %}
        landed_row._batch_id,
        landed_row._extracted_at,
        landed_row._source,
        cast('{{ org_source }}' as {{ dbt.type_string() }}) as source_relation,
        {{ medallion.row_to_json_text('landed_row', landed_columns) }} as _raw_record
    from {{ relation }} as landed_row
    {% if not loop.last %} union all {% endif %}
    {%- endfor %}

),

hard_deletes as (

    {% if has_tombstones -%}
    select _source, id, max(_extracted_at) as tombstoned_at
    from {{ tombstones }}
    where lower(object_name) = '{{ object_key }}'
    group by _source, id
    {%- else -%}
    select cast(null as {{ dbt.type_string() }}) as _source, cast(null as {{ dbt.type_string() }}) as id,
        cast(null as {{ dbt.type_timestamp() }}) as tombstoned_at
    where 1 = 0
    {%- endif %}

),

marked as (

    select
        landed.*,
        case when hard_deletes.tombstoned_at > landed._extracted_at then hard_deletes.tombstoned_at end
            as _hard_deleted_at
    from landed
    left join hard_deletes
        on hard_deletes.id = landed.id
        and hard_deletes._source = landed._source

),

staged as (

    select
        {%- for landed, staged, type in columns %}
        {% if type == 'string' -%}
            cast({{ landed }} as {{ dbt.type_string() }})
        {%- elif type in parsers -%}
            {{ parsers[type](landed) }}
        {%- else -%}
            {{ exceptions.raise_compiler_error("stage_salesforce_object: unknown type '" ~ type ~ "' for " ~ landed) }}
        {%- endif %} as {{ staged }},
        {%- endfor %}
        {% set parse_checks = [] -%}
        {%- for landed, staged, type in columns if type != 'string' -%}
            {%- do parse_checks.append((
                "nullif(trim(" ~ landed ~ "), '') is not null and " ~ parsers[type](landed) ~ " is null",
                "'unparseable:" ~ landed ~ "'"
            )) -%}
        {%- endfor -%}
        {{ medallion.rejection_reasons(parse_checks) }} as _parse_errors,
        cast(_batch_id as {{ dbt.type_string() }}) as _batch_id,
        cast(_extracted_at as {{ dbt.type_timestamp() }}) as _extracted_at,
        cast(_source as {{ dbt.type_string() }}) as _source,
        source_relation,
        cast(_hard_deleted_at as {{ dbt.type_timestamp() }}) as _hard_deleted_at,
        _raw_record
    from marked

)

select * from staged
{%- endmacro %}



{#-
    The landed columns (lower case) of a bronze table, or of the unit-test CTE standing for it (see above);
    empty when nothing can be known (parsing, or a table that does not exist yet: every field is then selected).
-#}
{% macro salesforce_landed_columns(relation) -%}
    {%- set identifier = (relation.identifier or '') | lower -%}
    {%- set names = [] -%}
    {%- if identifier.startswith('__dbt__cte__') -%}
        {%- set declared = var('staging_landed_columns', none) -%}
        {%- if declared is not none -%}
            {%- for name in (declared.split(',') if declared is string else declared) | map('trim') -%}
                {%- do names.append(name | lower) -%}
            {%- endfor -%}
            {{ return(names) }}
        {%- endif -%}
        {#- dbt builds a dict/csv fixture with the columns of the real table: look that table up, in the schema
            every bronze table lands in (a unit test's context has neither the source nor the graph). -#}
        {%- set found = adapter.get_relation(database=target.database, schema='bronze',
                                             identifier=identifier[('__dbt__cte__' | length):]) if execute else none -%}
        {%- if found is not none -%}
            {%- for landed_column in adapter.get_columns_in_relation(found) -%}
                {%- do names.append(landed_column.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
        {{ return(names) }}
    {%- endif -%}
    {%- set found = load_relation(relation) if execute else none -%}
    {%- if found is not none -%}
        {%- for landed_column in adapter.get_columns_in_relation(found) -%}
            {%- do names.append(landed_column.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names) }}
{%- endmacro %}

{#-
    The select of a staging model over one landed (non-Salesforce) bronze table, e.g. the ERP's: one row per landed
    row, renamed and typed with the safe_parse_* macros (NULL when unparseable), plus _batch_id, _extracted_at and
    _source. `columns` is a list of (landed column or SQL over landed_row, staged name, type), type one of string,
    timestamp, date, number, integer, boolean. A landed column the table lacks is staged as NULL; when the table does
    not exist at all (a deployment without that source, or a source not extracted yet) the model selects no rows,
    with every column typed, so everything downstream still builds. A unit test's input (a CTE) is read as given.
-#}
{% macro stage_landed_table(relation, columns) -%}
    {%- set parsers = {
        'timestamp': medallion.safe_parse_timestamp,
        'date': medallion.safe_parse_date,
        'number': medallion.safe_parse_number,
        'integer': medallion.safe_parse_integer,
        'boolean': medallion.safe_parse_boolean,
    } -%}
    {%- set is_unit_test_input = ((relation.identifier or '') | lower).startswith('__dbt__cte__') -%}
    {%- set landed_relation = load_relation(relation) if execute and not is_unit_test_input else none -%}
    {%- set exists = is_unit_test_input or not execute or landed_relation is not none -%}
    {%- set landed_columns = [] -%}
    {%- if landed_relation is not none -%}
        {%- for landed_column in adapter.get_columns_in_relation(landed_relation) -%}
            {%- do landed_columns.append(landed_column.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set null_text = 'cast(null as ' ~ dbt.type_string() ~ ')' -%}

    select
        {%- for landed, staged, type in columns %}
        {%- set is_plain_column = modules.re.fullmatch('[a-z_][a-z0-9_]*', landed) is not none -%}
        {%- set value = null_text if (not exists or (is_plain_column and landed_columns and landed not in landed_columns))
                        else ('landed_row.' ~ landed if is_plain_column else landed) %}
        {% if type == 'string' -%}
            cast({{ value }} as {{ dbt.type_string() }})
        {%- elif type in parsers -%}
            {{ parsers[type](value) }}
        {%- else -%}
            {{ exceptions.raise_compiler_error("stage_landed_table: unknown type '" ~ type ~ "' for " ~ landed) }}
        {%- endif %} as {{ staged }},
        {%- endfor %}
        cast({{ 'landed_row._batch_id' if exists else null_text }} as {{ dbt.type_string() }}) as _batch_id,
        cast({{ 'landed_row._extracted_at' if exists else 'null' }} as {{ dbt.type_timestamp() }}) as _extracted_at,
        cast({{ 'landed_row._source' if exists else null_text }} as {{ dbt.type_string() }}) as _source
    {%- if exists %}
    from {{ relation }} as landed_row
    {%- else %}
    where 1 = 0
    {%- endif %}
{%- endmacro %}

{#- Test-only: fakesnow (MEDALLION_SF_FAKESNOW=true, set only where the tests and `make run` start fakesnow).
    fakesnow runs on DuckDB, which cannot create a TEMPORARY table in a named database and schema
    ("TEMPORARY table names can only use the temp catalog"); dbt's unit tests create one to read the model's
    column types. There, and only there, the table is made TRANSIENT (the unit test drops it at its end).
    On Snowflake the adapter's own macro runs unchanged. DECISIONLOG.md: "fakesnow, and what it cannot do". -#}
{% macro snowflake__create_table_temporary_sql(relation, compiled_code) -%}
    {%- if env_var('MEDALLION_SF_FAKESNOW', 'false') | lower == 'true' -%}
create or replace transient table {{ relation }} as (
    {{ compiled_code }}
);
    {%- else -%}
    {{ dbt.snowflake__create_table_temporary_sql(relation, compiled_code) }}
    {%- endif -%}
{%- endmacro %}

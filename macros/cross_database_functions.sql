{#- Small cross-database helpers the dbt.* macros do not cover. -#}

{#- The whole row of the table aliased `table_alias` as JSON text (every column, NULLs kept), keyed by the
    lower-case column names. `columns`: the row's column names, when known (Snowflake needs them for the keys). -#}
{% macro row_to_json_text(table_alias, columns=none) -%}
    {{ return(adapter.dispatch('row_to_json_text', 'medallion')(table_alias, columns)) }}
{%- endmacro %}

{% macro default__row_to_json_text(table_alias, columns=none) -%}
    cast(to_json({{ table_alias }}) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro postgres__row_to_json_text(table_alias, columns=none) -%}
    cast(row_to_json({{ table_alias }}) as text)
{%- endmacro %}

{% macro snowflake__row_to_json_text(table_alias, columns=none) -%}
    {#- Snowflake keys object_construct(*) by the stored (upper-case) names: name the keys in lower case as the
        other warehouses do. Without the names (a unit test's CTE), * is exactly the single table's row. -#}
    {%- if columns -%}
    to_json(object_construct_keep_null(
        {%- for column in columns %}'{{ column | lower }}', {{ table_alias }}.{{ column }}{{ ", " if not loop.last }}{% endfor -%}
    ))
    {%- else -%}
    to_json(object_construct_keep_null(*))
    {%- endif -%}
{%- endmacro %}


{#- Median of a numeric expression (an aggregate), interpolated like percentile_cont(0.5). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'medallion')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro postgres__median(expression) -%}
    percentile_cont(0.5) within group (order by cast({{ expression }} as double precision))
{%- endmacro %}

{% macro snowflake__median(expression) -%}
    median({{ expression }})
{%- endmacro %}


{#- Rounds to `scale` decimals as an exact decimal (PostgreSQL has no round(double precision, int)). -#}
{% macro round_decimal(expression, scale=2) -%}
    round(cast({{ expression }} as {{ dbt.type_numeric() }}), {{ scale }})
{%- endmacro %}


{#- numerator / denominator as a decimal, NULL when the denominator is 0 or NULL. -#}
{% macro safe_divide(numerator, denominator) -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else cast(({{ numerator }}) as {{ dbt.type_numeric() }}) / ({{ denominator }})
    end
{%- endmacro %}

{#-
    Safe parsing of the text values the bronze landing contract holds (Bulk API 2.0 CSV formats):
    every macro yields NULL for input it cannot parse instead of failing the query, so one bad value can
    never break the build. Staging models report which fields failed (`_parse_errors`) and silver
    quarantines those record versions.

    Accepted input is the same on every warehouse: each macro first checks the text against one portable
    pattern (and, for dates, the calendar), then casts. PostgreSQL has no TRY_CAST, so the guards are nested
    CASE expressions: PostgreSQL evaluates a CASE branch only when its condition holds.
-#}

{#- 'YYYY-MM-DD' with a real calendar day. `text` must already have matched the date pattern. -#}
{% macro _iso_calendar_day_is_valid(text) -%}
    (
        cast(substr({{ text }}, 1, 4) as integer) >= 1
        and cast(substr({{ text }}, 6, 2) as integer) between 1 and 12
        and cast(substr({{ text }}, 9, 2) as integer) between 1 and
            case cast(substr({{ text }}, 6, 2) as integer)
                when 2 then
                    case
                        when mod(cast(substr({{ text }}, 1, 4) as integer), 400) = 0 then 29
                        when mod(cast(substr({{ text }}, 1, 4) as integer), 100) = 0 then 28
                        when mod(cast(substr({{ text }}, 1, 4) as integer), 4) = 0 then 29
                        else 28
                    end
                when 4 then 30
                when 6 then 30
                when 9 then 30
                when 11 then 30
                else 31
            end
    )
{%- endmacro %}

{#- 'HH:MI:SS' starting at character 12 of an ISO datetime. -#}
{% macro _iso_clock_time_is_valid(text) -%}
    (
        cast(substr({{ text }}, 12, 2) as integer) <= 23
        and cast(substr({{ text }}, 15, 2) as integer) <= 59
        and cast(substr({{ text }}, 18, 2) as integer) <= 59
    )
{%- endmacro %}

{% macro _iso_date_pattern() -%}[0-9]{4}-[0-9]{2}-[0-9]{2}{%- endmacro %}
{% macro _iso_local_datetime_pattern() -%}[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?{%- endmacro %}
{% macro _iso_datetime_pattern() -%}{{ medallion._iso_local_datetime_pattern() }}(Z|[+-][0-9]{2}:[0-9]{2})?{%- endmacro %}


{#-
    Datetime text ('2024-01-31T12:34:56.000Z', also without fraction, with a +HH:MM offset, or with no zone,
    which is read as UTC) -> TIMESTAMP without time zone, in UTC.
-#}
{% macro safe_parse_timestamp(expression) -%}
    {{ return(adapter.dispatch('safe_parse_timestamp', 'medallion')(expression)) }}
{%- endmacro %}

{#- The text handed to the engine's own cast: a zone is always present ('Z' appended when none was given). -#}
{% macro _iso_datetime_with_zone(text) -%}
    ({{ text }} || case when {{ medallion.regex_full_match(text, medallion._iso_local_datetime_pattern()) }} then 'Z' else '' end)
{%- endmacro %}

{% macro _safe_parse_timestamp_guarded(expression, cast_to_utc) -%}
    {%- set text = 'trim(' ~ expression ~ ')' -%}
    case
        when {{ medallion.regex_full_match(text, medallion._iso_datetime_pattern()) }} then
            case
                when {{ medallion._iso_calendar_day_is_valid(text) }} and {{ medallion._iso_clock_time_is_valid(text) }}
                    then {{ cast_to_utc(medallion._iso_datetime_with_zone(text)) }}
            end
    end
{%- endmacro %}

{#- default: DuckDB (timestamptz casts honour the offset; timezone() turns it into UTC wall time). -#}
{% macro default__safe_parse_timestamp(expression) -%}
    {{ medallion._safe_parse_timestamp_guarded(expression, medallion._duckdb_zoned_text_to_utc) }}
{%- endmacro %}
{% macro _duckdb_zoned_text_to_utc(zoned_text) -%}
    timezone('UTC', try_cast({{ zoned_text }} as timestamptz))
{%- endmacro %}

{% macro postgres__safe_parse_timestamp(expression) -%}
    {{ medallion._safe_parse_timestamp_guarded(expression, medallion._postgres_zoned_text_to_utc) }}
{%- endmacro %}
{% macro _postgres_zoned_text_to_utc(zoned_text) -%}
    (cast({{ zoned_text }} as timestamptz) at time zone 'UTC')
{%- endmacro %}

{% macro snowflake__safe_parse_timestamp(expression) -%}
    {{ medallion._safe_parse_timestamp_guarded(expression, medallion._snowflake_zoned_text_to_utc) }}
{%- endmacro %}
{% macro _snowflake_zoned_text_to_utc(zoned_text) -%}
    cast(convert_timezone('UTC', try_cast({{ zoned_text }} as timestamp_tz)) as timestamp_ntz)
{%- endmacro %}


{#- Date text ('2024-01-31') -> DATE. -#}
{% macro safe_parse_date(expression) -%}
    {{ return(adapter.dispatch('safe_parse_date', 'medallion')(expression)) }}
{%- endmacro %}

{% macro _safe_parse_date_guarded(expression, cast_to_date) -%}
    {%- set text = 'trim(' ~ expression ~ ')' -%}
    case
        when {{ medallion.regex_full_match(text, medallion._iso_date_pattern()) }} then
            case when {{ medallion._iso_calendar_day_is_valid(text) }} then {{ cast_to_date(text) }} end
    end
{%- endmacro %}

{% macro default__safe_parse_date(expression) -%}
    {{ medallion._safe_parse_date_guarded(expression, medallion._try_cast_to_date) }}
{%- endmacro %}
{% macro _try_cast_to_date(text) -%}try_cast({{ text }} as date){%- endmacro %}

{% macro postgres__safe_parse_date(expression) -%}
    {{ medallion._safe_parse_date_guarded(expression, medallion._cast_to_date) }}
{%- endmacro %}
{% macro _cast_to_date(text) -%}cast({{ text }} as date){%- endmacro %}

{% macro snowflake__safe_parse_date(expression) -%}
    {{ medallion._safe_parse_date_guarded(expression, medallion._snowflake_try_to_date) }}
{%- endmacro %}
{% macro _snowflake_try_to_date(text) -%}try_to_date({{ text }}, 'YYYY-MM-DD'){%- endmacro %}


{#-
    Plain decimal text ('1500.0', '-12', '.5'; at most 22 integer digits, no exponent, no thousands
    separators) -> {{ dbt.type_numeric() }} (6 decimals kept).
-#}
{% macro safe_parse_number(expression) -%}
    {{ return(adapter.dispatch('safe_parse_number', 'medallion')(expression)) }}
{%- endmacro %}

{% macro default__safe_parse_number(expression) -%}
    {%- set text = 'trim(' ~ expression ~ ')' -%}
    case
        when {{ medallion.regex_full_match(text, '[+-]?([0-9]{1,22}([.][0-9]*)?|[.][0-9]+)') }}
            then cast({{ text }} as {{ dbt.type_numeric() }})
    end
{%- endmacro %}

{% macro snowflake__safe_parse_number(expression) -%}
    {%- set text = 'trim(' ~ expression ~ ')' -%}
    case
        when {{ medallion.regex_full_match(text, '[+-]?([0-9]{1,22}([.][0-9]*)?|[.][0-9]+)') }}
            then try_to_decimal({{ text }}, 28, 6)
    end
{%- endmacro %}


{#- Whole-number text ('12', also '12.0' as the Bulk API may write doubles) -> {{ dbt.type_bigint() }}. -#}
{% macro safe_parse_integer(expression) -%}
    {{ return(adapter.dispatch('safe_parse_integer', 'medallion')(expression)) }}
{%- endmacro %}

{% macro default__safe_parse_integer(expression) -%}
    {%- set text = 'trim(' ~ expression ~ ')' -%}
    case
        when {{ medallion.regex_full_match(text, '[+-]?[0-9]{1,18}([.]0*)?') }}
            then cast(cast({{ text }} as {{ dbt.type_numeric() }}) as {{ dbt.type_bigint() }})
    end
{%- endmacro %}


{#- 'true'/'false' (any case, '1'/'0' too) -> BOOLEAN. Plain CASE, so one implementation serves all. -#}
{% macro safe_parse_boolean(expression) -%}
    {{ return(adapter.dispatch('safe_parse_boolean', 'medallion')(expression)) }}
{%- endmacro %}

{% macro default__safe_parse_boolean(expression) -%}
    case lower(trim({{ expression }}))
        when 'true' then true
        when '1' then true
        when 'false' then false
        when '0' then false
    end
{%- endmacro %}

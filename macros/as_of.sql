{#-
    The instant gold treats as "now": var `as_of` (UTC). Every gold model that measures against the present
    (age of open pipeline, the current month, the clock of an open case, overdue tasks) and the opportunity
    snapshot (its last day, and the versions it may see) reads it through these macros and nothing else.

    Accepted values:
      unset / ''                       - the start of this dbt invocation (run_started_at, UTC): outside
                                         Airflow gold is "as of now"
      'YYYY-MM-DD'                     - the END of that day: 'YYYY-MM-DD 23:59:59.999999' (the whole day counts)
      'YYYY-MM-DD[T ]HH:MM:SS[.ffffff][Z|+00:00]' - that instant, UTC
    In Airflow the Cosmos gold group passes the DAG run's logical date (dags/medallion/dbt_groups.py), so a
    re-run of a past DAG run rebuilds gold as of that run. Anything else is a compilation error, never a guess.
-#}
{% macro as_of_text() -%}
    {%- set value = var('as_of', none) -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {{ return(run_started_at.strftime('%Y-%m-%d %H:%M:%S')) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- if modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{ return(text ~ ' 23:59:59.999999') }}
    {%- endif -%}
    {%- set match = modules.re.fullmatch(
        '([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}:[0-9]{2})([.][0-9]{1,6})?(Z|[+]00:00|[+]00)?', text) -%}
    {%- if not match -%}
        {{ exceptions.raise_compiler_error("var as_of: '" ~ text ~ "' is not a UTC date or timestamp (YYYY-MM-DD, or YYYY-MM-DD HH:MM:SS[.ffffff][Z])") }}
    {%- endif -%}
    {{ return(match.group(1) ~ ' ' ~ match.group(2) ~ (match.group(3) or '')) }}
{%- endmacro %}

{#- var as_of as a TIMESTAMP literal (UTC, no time zone, like every silver timestamp). -#}
{% macro as_of_timestamp() -%}
    cast('{{ medallion.as_of_text() }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- The calendar day (UTC) of var as_of as a DATE literal: the last day of the snapshot, "today" for overdue. -#}
{% macro as_of_date() -%}
    cast('{{ medallion.as_of_text()[:10] }}' as date)
{%- endmacro %}

{#- The first day of the month of var as_of as a DATE literal. -#}
{% macro as_of_month() -%}
    cast('{{ medallion.as_of_text()[:7] }}-01' as date)
{%- endmacro %}

{#- Whole days from date `start_date` to date `end_date` (both DATE expressions), on every warehouse. -#}
{% macro days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{#- DATE `date_expression` plus `days` (an integer expression) as a DATE. -#}
{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{#- Hours from timestamp `start_ts` to timestamp `end_ts` as a decimal (second precision). -#}
{% macro hours_between(start_ts, end_ts) -%}
    cast({{ dbt.datediff(start_ts, end_ts, 'second') }} as {{ dbt.type_numeric() }}) / 3600
{%- endmacro %}

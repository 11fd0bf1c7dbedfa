{#-
    Cross-database regular expressions. Patterns are written in the portable subset that DuckDB (RE2),
    PostgreSQL (ARE) and Snowflake (POSIX ERE) agree on: character classes, groups, alternation, {m,n}.
    Write [0-9] and [.] rather than backslash escapes, which each engine's string literals treat differently.
-#}

{#- True when the whole of `expression` matches `pattern` (anchored at both ends); NULL input gives NULL. -#}
{% macro regex_full_match(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'medallion')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern | replace("'", "''") }}')
{%- endmacro %}

{% macro postgres__regex_full_match(expression, pattern) -%}
    ({{ expression }} ~ '^(?:{{ pattern | replace("'", "''") }})$')
{%- endmacro %}

{% macro snowflake__regex_full_match(expression, pattern) -%}
    {#- regexp_like matches the whole subject implicitly. -#}
    regexp_like({{ expression }}, '{{ pattern | replace("\\", "\\\\") | replace("'", "''") }}')
{%- endmacro %}


{#- Replaces every match of `pattern` in `expression` with `replacement`. -#}
{% macro regex_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'medallion')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern | replace("'", "''") }}', '{{ replacement | replace("'", "''") }}', 'g')
{%- endmacro %}

{% macro snowflake__regex_replace_all(expression, pattern, replacement) -%}
    {#- Snowflake replaces every occurrence by default and has no 'g' flag. -#}
    regexp_replace({{ expression }}, '{{ pattern | replace("\\", "\\\\") | replace("'", "''") }}', '{{ replacement | replace("'", "''") }}')
{%- endmacro %}

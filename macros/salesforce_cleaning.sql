{#- Cleaning rules silver applies to Salesforce values. -#}

{#-
    The key a picklist value is matched on in seeds/salesforce_picklist_values.csv: lower case, runs of
    spaces, hyphens and underscores collapsed to one space, trimmed. 'Closed-Won', ' closed  won ' and
    'CLOSED_WON' all become 'closed won'. Empty text gives NULL.
-#}
{% macro picklist_normalised_key(expression) -%}
    nullif(trim({{ medallion.regex_replace_all('lower(' ~ expression ~ ')', '[ \t\r\n_-]+', ' ') }}), '')
{%- endmacro %}


{#- An email address as compared: lower case, surrounding spaces removed, empty -> NULL. -#}
{% macro email_cleaned(expression) -%}
    nullif(lower(trim({{ expression }})), '')
{%- endmacro %}

{#- True when an already cleaned address is syntactically valid (local@domain.tld, ASCII). -#}
{% macro email_is_valid(cleaned_expression) -%}
    {{ medallion.regex_full_match(cleaned_expression, "[a-z0-9._%+'-]+@[a-z0-9-]+([.][a-z0-9-]+)*[.][a-z]{2,}") }}
{%- endmacro %}


{#- True when a Salesforce Id is well formed: 15 or 18 alphanumerics. -#}
{% macro salesforce_id_is_valid(expression) -%}
    {{ medallion.regex_full_match(expression, '[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?') }}
{%- endmacro %}


{#-
    All the rejection reasons of one record version as one text, '; '-separated, NULL when it passes.
    `checks` is a list of (condition, reason) pairs of SQL expressions; reason is usually a quoted code
    such as "'missing_id'".
-#}
{% macro rejection_reasons(checks) -%}
    nullif(substr(
        {%- for condition, reason in checks %}
        coalesce(case when {{ condition }} then '; ' || {{ reason }} end, ''){% if not loop.last %} ||{% endif %}
        {%- endfor %}
    , 3), '')
{%- endmacro %}


{#-
    The checks every Salesforce record version must pass: an Id, well formed; a parseable SystemModstamp
    (it orders the versions); every typed field parseable (the staging model lists failures in
    _parse_errors).
-#}
{% macro salesforce_record_checks(id_column) -%}
    {{ return([
        (id_column ~ ' is null', "'missing_id'"),
        (id_column ~ ' is not null and not ' ~ medallion.salesforce_id_is_valid(id_column), "'malformed_id'"),
        ("system_modstamp is null and coalesce(_parse_errors, '') not like '%unparseable:systemmodstamp%'", "'missing_system_modstamp'"),
        ('_parse_errors is not null', '_parse_errors'),
    ]) }}
{%- endmacro %}


{#-
    Picklist normalisation for one object: `picklists` maps a staged column to its Salesforce field API
    name. picklist_joins() left-joins the seed once per field (alias pl_<column>); picklist_canonical()
    selects the canonical value; picklist_checks() rejects a value whose normalised key the seed lacks.
-#}
{% macro picklist_joins(object_name, picklists, staged_alias) -%}
    {%- for column, field in picklists.items() %}
    left join {{ ref('salesforce_picklist_values') }} as pl_{{ column }}
        on pl_{{ column }}.object_name = '{{ object_name }}'
        and pl_{{ column }}.field_name = '{{ field }}'
        and pl_{{ column }}.raw_value_normalised_key = {{ medallion.picklist_normalised_key(staged_alias ~ '.' ~ column) }}
    {%- endfor %}
{%- endmacro %}

{% macro picklist_canonical(column) -%}
    pl_{{ column }}.canonical_value
{%- endmacro %}

{% macro picklist_checks(picklists, staged_alias) -%}
    {%- set checks = [] -%}
    {%- for column, field in picklists.items() -%}
        {%- do checks.append((
            medallion.picklist_normalised_key(staged_alias ~ '.' ~ column) ~ ' is not null and pl_' ~ column ~ '.canonical_value is null',
            "'unknown_picklist_value:" ~ field | lower ~ "'"
        )) -%}
    {%- endfor -%}
    {{ return(checks) }}
{%- endmacro %}


{#-
    Version ordering: TRUE on the one version of each record (Id and source_relation: the org) that is current — latest SystemModstamp, ties
    broken by the latest _extracted_at (then _batch_id, so the choice is deterministic). Versions without an
    Id or a parseable SystemModstamp cannot be ordered and are never current (they are quarantined).
-#}
{% macro is_latest_version(id_column) -%}
    case
        when {{ id_column }} is null or system_modstamp is null then false
        when row_number() over (
            partition by {{ id_column }}, source_relation
            order by
                case when system_modstamp is null then 1 else 0 end,
                system_modstamp desc,
                _extracted_at desc,
                _batch_id desc
        ) = 1 then true
        else false
    end
{%- endmacro %}

{#- The filter that keeps, of a *_versions model, the live records: current, valid, not deleted. -#}
{% macro is_live_version() -%}
    (is_latest_version and quarantine_reason is null and not is_deleted)
{%- endmacro %}

{#- 'User' or 'Queue' from an OwnerId's key prefix (005 = User, 00G = Group/Queue). -#}
{% macro salesforce_owner_type(owner_id_column) -%}
    case
        when {{ owner_id_column }} like '005%' then 'User'
        when {{ owner_id_column }} like '00G%' then 'Queue'
    end
{%- endmacro %}

{#- The cleaned email columns of a person-like object: email (valid or NULL), is_email_valid, email_raw. -#}
{% macro email_columns(raw_email_column) -%}
    {%- set cleaned = medallion.email_cleaned(raw_email_column) -%}
    case when {{ medallion.email_is_valid(cleaned) }} then {{ cleaned }} end as email,
        case
            when {{ cleaned }} is null then null
            when {{ medallion.email_is_valid(cleaned) }} then true
            else false
        end as is_email_valid,
        {{ raw_email_column }} as email_raw
{%- endmacro %}

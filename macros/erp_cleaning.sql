{#- Cleaning rules silver applies to ERP values. -#}

{#- An ERP business key (customer, order or invoice number, SKU) as compared: trimmed, upper case, empty -> NULL
    ('cust-000018', 'CUST-000042 ' -> 'CUST-000018', 'CUST-000042'). -#}
{% macro erp_business_key(expression) -%}
    nullif(upper(trim({{ expression }})), '')
{%- endmacro %}

{#- Payment terms in their canonical code: NET30, NET45, NET60, DUE_ON_RECEIPT ('Net 30', 'net45 ', 'due on
    receipt' included); anything else NULL. -#}
{% macro erp_payment_terms(expression) -%}
    case {{ medallion.regex_replace_all('upper(' ~ expression ~ ')', '[^A-Z0-9]', '') }}
        when 'NET30' then 'NET30'
        when 'NET45' then 'NET45'
        when 'NET60' then 'NET60'
        when 'DUEONRECEIPT' then 'DUE_ON_RECEIPT'
    end
{%- endmacro %}

{#-
    Deduplication of landed ERP versions: TRUE on the one version of each key that is current - the latest
    modified_at, ties broken by the source's priority (the ERP's tables before its file drops: `priority_column`,
    lower first), then the latest _extracted_at and _batch_id. Versions without key or modified_at are never current.
-#}
{% macro erp_is_latest_version(key_column, priority_column=none) -%}
    case
        when {{ key_column }} is null or modified_at is null then false
        when row_number() over (
            partition by {{ key_column }}
            order by
                case when modified_at is null then 1 else 0 end,
                modified_at desc,
                {% if priority_column %}{{ priority_column }},{% endif %}
                _extracted_at desc,
                _batch_id desc
        ) = 1 then true
        else false
    end
{%- endmacro %}

{#- A name as the customer cross-reference compares it: lower case, runs of spaces and punctuation (. , ' " & -)
    collapsed to one space, trimmed; empty -> NULL. 'ACME Inc. ' and 'Acme Inc' both become 'acme inc'. -#}
{% macro name_match_key(expression) -%}
    nullif(trim({{ medallion.regex_replace_all('lower(' ~ expression ~ ')', '[ \t\r\n.,\'"&-]+', ' ') }}), '')
{%- endmacro %}

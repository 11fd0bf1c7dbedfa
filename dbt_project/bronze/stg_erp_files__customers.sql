{#- The NetSuite-style customer export; the file carries no tax id and no deletion time (Inactive = Yes). -#}
{{ stage_landed_table(source('erp_files', 'customers'), [
    ('internal_id', 'customer_id', 'string'),
    ('id', 'customer_number_raw', 'string'),
    ('company_name', 'customer_name', 'string'),
    ('billing_address_1', 'billing_street', 'string'),
    ('billing_city', 'billing_city', 'string'),
    ('billing_state_province', 'billing_state', 'string'),
    ('billing_zip', 'billing_postal_code', 'string'),
    ('billing_country', 'billing_country', 'string'),
    ('currency', 'currency_raw', 'string'),
    ('terms', 'payment_terms_raw', 'string'),
    ('credit_limit', 'credit_limit', 'number'),
    ('date_created', 'created_at', 'timestamp'),
    ('last_modified', 'modified_at', 'timestamp'),
    ("case when lower(trim(landed_row.inactive)) = 'yes' then 'true' else 'false' end", 'is_deleted', 'boolean'),
    ('source_file', 'source_file', 'string'),
    ('source_line', 'source_line', 'integer'),
]) }}

{#- The ERP's customers from its tables and its NetSuite-style file drops (the same customers: Internal ID is
    customer_id). Each customer's latest version wins (modified_at; at a tie the table's version); a customer whose
    latest version is soft-deleted (is_deleted / Inactive = Yes) is dropped. -#}
with landed as (

    select
        customer_id, customer_number_raw, customer_name, billing_street, billing_city, billing_state,
        billing_postal_code, billing_country, currency_raw, payment_terms_raw, credit_limit, tax_id, created_at,
        modified_at, is_deleted, _batch_id, _extracted_at, _source,
        cast('erp' as {{ dbt.type_string() }}) as landed_from, 1 as source_priority
    from {{ ref('stg_erp__customers') }}

    union all

    select
        customer_id, customer_number_raw, customer_name, billing_street, billing_city, billing_state,
        billing_postal_code, billing_country, currency_raw, payment_terms_raw, credit_limit,
        cast(null as {{ dbt.type_string() }}) as tax_id, created_at, modified_at, is_deleted, _batch_id, _extracted_at,
        _source, cast('erp_files' as {{ dbt.type_string() }}) as landed_from, 2 as source_priority
    from {{ ref('stg_erp_files__customers') }}

),

versions as (

    select
        landed.*,
        {{ erp_is_latest_version('customer_id', 'source_priority') }} as is_latest_version
    from landed

)

select
    customer_id,
    {{ erp_business_key('customer_number_raw') }} as customer_number,
    customer_number_raw,
    nullif(trim(customer_name), '') as customer_name,
    billing_street,
    nullif(trim(billing_city), '') as billing_city,
    nullif(trim(billing_state), '') as billing_state,
    nullif(trim(billing_postal_code), '') as billing_postal_code,
    nullif(trim(billing_country), '') as billing_country,
    nullif(upper(trim(currency_raw)), '') as currency,
    {{ erp_payment_terms('payment_terms_raw') }} as payment_terms,
    credit_limit,
    nullif(trim(tax_id), '') as tax_id,
    created_at,
    modified_at,
    landed_from,
    _batch_id,
    _extracted_at
from versions
where is_latest_version and not coalesce(is_deleted, false)

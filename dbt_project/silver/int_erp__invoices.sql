{#- Invoice headers from the ERP's tables and its SAP-style file drops, keyed by invoice number (the files carry no
    ERP ids). Each invoice's latest version wins (modified_at; at a tie the table's version); the ids the files lack
    (invoice, order, customer) come from the invoice's table versions, or, for the customer, from its number.
    A soft-deleted invoice (is_deleted / LOEVM = X) is dropped; void invoices stay, with status void. -#}
with landed as (

    select
        invoice_id, invoice_number_raw, order_id, customer_id,
        cast(null as {{ dbt.type_string() }}) as customer_number_raw, invoice_date, due_date, status_raw,
        currency_raw, subtotal, tax_amount, total_amount, amount_paid, modified_at, is_deleted, _batch_id,
        _extracted_at, cast('erp' as {{ dbt.type_string() }}) as landed_from, 1 as source_priority
    from {{ ref('stg_erp__invoices') }}

    union all

    select
        cast(null as {{ dbt.type_string() }}) as invoice_id, invoice_number_raw,
        cast(null as {{ dbt.type_string() }}) as order_id, cast(null as {{ dbt.type_string() }}) as customer_id,
        customer_number_raw, invoice_date, due_date, status_raw, currency_raw, subtotal, tax_amount, total_amount,
        amount_paid, modified_at, is_deleted, _batch_id, _extracted_at,
        cast('erp_files' as {{ dbt.type_string() }}) as landed_from, 2 as source_priority
    from {{ ref('stg_erp_files__invoices') }}

),

keyed as (

    select
        landed.*,
        {{ erp_business_key('invoice_number_raw') }} as invoice_number
    from landed

),

versions as (

    select
        keyed.*,
        max(keyed.invoice_id) over (partition by keyed.invoice_number) as known_invoice_id,
        max(keyed.order_id) over (partition by keyed.invoice_number) as known_order_id,
        max(keyed.customer_id) over (partition by keyed.invoice_number) as known_customer_id,
        {{ erp_is_latest_version('invoice_number', 'source_priority') }} as is_latest_version
    from keyed

),

customer_numbers as (

    {#- every customer's latest number (deleted customers included: their invoices still name them) -#}
    select customer_id, customer_number
    from (
        select
            customer_id,
            {{ erp_business_key('customer_number_raw') }} as customer_number,
            {{ erp_is_latest_version('customer_id', 'source_priority') }} as is_latest_version
        from (
            select customer_id, customer_number_raw, modified_at, _extracted_at, _batch_id, 1 as source_priority
            from {{ ref('stg_erp__customers') }}
            union all
            select customer_id, customer_number_raw, modified_at, _extracted_at, _batch_id, 2 as source_priority
            from {{ ref('stg_erp_files__customers') }}
        ) as customer_versions
    ) as ranked
    where is_latest_version

),

customer_ids_by_number as (

    select customer_number, min(customer_id) as customer_id
    from customer_numbers
    group by customer_number
    having count(*) = 1

)

select
    versions.invoice_number,
    versions.known_invoice_id as invoice_id,
    versions.known_order_id as order_id,
    coalesce(versions.known_customer_id, by_number.customer_id) as customer_id,
    coalesce(by_id.customer_number, {{ erp_business_key('versions.customer_number_raw') }}) as customer_number,
    versions.invoice_date,
    versions.due_date,
    lower(trim(versions.status_raw)) as status,
    upper(trim(versions.currency_raw)) as currency,
    versions.subtotal,
    versions.tax_amount,
    versions.total_amount,
    versions.amount_paid,
    versions.modified_at,
    versions.landed_from,
    versions._batch_id,
    versions._extracted_at
from versions
left join customer_numbers as by_id
    on by_id.customer_id = versions.known_customer_id
left join customer_ids_by_number as by_number
    on by_number.customer_number = {{ erp_business_key('versions.customer_number_raw') }}
    and versions.known_customer_id is null
where versions.is_latest_version and not coalesce(versions.is_deleted, false)

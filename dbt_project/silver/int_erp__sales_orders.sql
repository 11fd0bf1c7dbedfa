{#- Sales order headers, each order's latest version; soft-deleted orders dropped. -#}
with versions as (

    select
        staged.*,
        {{ erp_is_latest_version('order_id') }} as is_latest_version
    from {{ ref('stg_erp__sales_orders') }} as staged

)

select
    order_id,
    {{ erp_business_key('order_number_raw') }} as order_number,
    customer_id,
    order_date,
    lower(trim(status_raw)) as status,
    upper(trim(currency_raw)) as currency,
    price_list_id,
    nullif(trim(customer_po), '') as customer_po,
    subtotal,
    tax_amount,
    total_amount,
    created_at,
    modified_at,
    _batch_id,
    _extracted_at
from versions
where is_latest_version and not coalesce(is_deleted, false)

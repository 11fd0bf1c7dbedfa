{#- Sales order lines, each line's latest version, of live orders only (a soft-deleted order takes its lines). -#}
with versions as (

    select
        staged.*,
        {{ erp_is_latest_version('order_line_id') }} as is_latest_version
    from {{ ref('stg_erp__sales_order_lines') }} as staged

),

orders as (

    select order_id, order_number, currency from {{ ref('int_erp__sales_orders') }}

)

select
    versions.order_line_id,
    versions.order_id,
    orders.order_number,
    versions.line_number,
    versions.item_id,
    versions.description,
    versions.quantity,
    versions.unit_price,
    versions.discount_percent,
    versions.line_amount,
    orders.currency,
    versions.created_at,
    versions.modified_at,
    versions._batch_id,
    versions._extracted_at
from versions
inner join orders on orders.order_id = versions.order_id
where versions.is_latest_version

{#- Invoice lines (the ERP's tables only: the file drops carry headers), each line's latest version, of live
    invoices only. -#}
with versions as (

    select
        staged.*,
        {{ erp_is_latest_version('invoice_line_id') }} as is_latest_version
    from {{ ref('stg_erp__invoice_lines') }} as staged

),

invoices as (

    select invoice_id, invoice_number, currency from {{ ref('int_erp__invoices') }}
    where invoice_id is not null

)

select
    versions.invoice_line_id,
    versions.invoice_id,
    invoices.invoice_number,
    versions.line_number,
    versions.item_id,
    versions.order_line_id,
    versions.quantity,
    versions.unit_price,
    versions.discount_percent,
    versions.line_amount,
    invoices.currency,
    versions.created_at,
    versions.modified_at,
    versions._batch_id,
    versions._extracted_at
from versions
inner join invoices on invoices.invoice_id = versions.invoice_id
where versions.is_latest_version

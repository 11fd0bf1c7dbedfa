{#- CurrencyIsoCode is a restricted picklist of the org's currencies: passed through trimmed and upper-cased. -#}
with staged as (

    select * from {{ ref('stg_salesforce__opportunity_line_items') }}

),

validated as (

    select
        staged.opportunity_line_item_id,
        staged.opportunity_id,
        staged.line_item_name,
        staged.pricebook_entry_id,
        staged.product_id,
        nullif(trim(staged.product_code), '') as product_code,
        staged.quantity,
        staged.unit_price,
        staged.list_price,
        staged.discount_percent,
        staged.subtotal,
        staged.total_price,
        staged.service_date,
        staged.description,
        staged.sort_order,
        nullif(upper(trim(staged.currency_iso_code)), '') as currency_iso_code,
        (coalesce(staged.is_deleted, false) or staged._hard_deleted_at is not null) as is_deleted,
        staged.created_at,
        staged.created_by_id,
        staged.last_modified_at,
        staged.last_modified_by_id,
        staged.system_modstamp,
        {{ rejection_reasons(
            salesforce_record_checks('staged.opportunity_line_item_id')
            + [
                ('staged.opportunity_id is null', "'missing_opportunity_id'"),
                ('staged.quantity is null', "'missing_quantity'"),
                ('staged.discount_percent < 0 or staged.discount_percent > 100', "'discount_out_of_range'"),
            ]
        ) }} as quarantine_reason,
        staged._batch_id,
        staged._extracted_at,
        staged._source,
        staged.source_relation,
        staged._raw_record
    from staged

)

select
    validated.*,
    {{ is_latest_version('opportunity_line_item_id') }} as is_latest_version
from validated

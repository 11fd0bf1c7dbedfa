{#- Live line items. Deleting an opportunity deletes its line items in Salesforce; a line whose opportunity's latest
    version is deleted (or found gone) is dropped here too, even if its own deletion has not landed (yet). -#}
with live_line_items as (

    select * from {{ ref('int_salesforce__opportunity_line_item_versions') }}
    where {{ is_live_version() }}

),

deleted_opportunities as (

    select opportunity_id, source_relation
    from {{ ref('int_salesforce__opportunity_versions') }}
    where is_latest_version and is_deleted

),

products as (

    select product_id, source_relation, product_name, product_code as product_code_from_product, family
    from {{ ref('int_salesforce__products') }}

)

select
    line_items.opportunity_line_item_id,
    line_items.opportunity_id,
    line_items.line_item_name,
    line_items.pricebook_entry_id,
    line_items.product_id,
    coalesce(line_items.product_code, products.product_code_from_product) as product_code,
    products.product_name,
    products.family as product_family,
    line_items.quantity,
    line_items.unit_price,
    line_items.list_price,
    line_items.discount_percent,
    line_items.subtotal,
    line_items.total_price,
    line_items.service_date,
    line_items.description,
    line_items.sort_order,
    line_items.currency_iso_code,
    line_items.created_at,
    line_items.last_modified_at,
    line_items.system_modstamp,
    line_items._batch_id,
    line_items._extracted_at,
    line_items.source_relation
from live_line_items as line_items
left join deleted_opportunities
    on deleted_opportunities.opportunity_id = line_items.opportunity_id
    and deleted_opportunities.source_relation = line_items.source_relation
left join products
    on products.product_id = line_items.product_id
    and products.source_relation = line_items.source_relation
where deleted_opportunities.opportunity_id is null

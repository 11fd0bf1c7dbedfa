{#- The ERP's item catalogue, each item's latest version (items are deactivated, never deleted). -#}
with versions as (

    select
        staged.*,
        {{ erp_is_latest_version('item_id') }} as is_latest_version
    from {{ ref('stg_erp__items') }} as staged

)

select
    item_id,
    {{ erp_business_key('sku_raw') }} as sku,
    nullif(trim(item_name), '') as item_name,
    upper(trim(family_raw)) as family,
    case upper(trim(unit_of_measure_raw)) when 'EACH' then 'EA' else upper(trim(unit_of_measure_raw)) end
        as unit_of_measure,
    list_price,
    coalesce(is_active, false) as is_active,
    created_at,
    modified_at,
    _batch_id,
    _extracted_at
from versions
where is_latest_version

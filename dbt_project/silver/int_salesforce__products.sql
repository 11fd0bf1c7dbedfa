select
    product_id,
    product_name,
    product_code,
    description,
    is_active,
    family,
    quantity_unit_of_measure,
    stock_keeping_unit,
    external_id,
    is_archived,
    currency_iso_code,
    created_at,
    last_modified_at,
    system_modstamp,
    _batch_id,
    _extracted_at,
    source_relation
from {{ ref('int_salesforce__product_versions') }}
where {{ is_live_version() }}

{%- set picklists = {
    'family': 'Family',
    'quantity_unit_of_measure': 'QuantityUnitOfMeasure',
} -%}

with staged as (

    select * from {{ ref('stg_salesforce__products') }}

),

validated as (

    select
        staged.product_id,
        staged.product_name,
        nullif(trim(staged.product_code), '') as product_code,
        staged.description,
        coalesce(staged.is_active, false) as is_active,
        {{ picklist_canonical('family') }} as family,
        {{ picklist_canonical('quantity_unit_of_measure') }} as quantity_unit_of_measure,
        nullif(trim(staged.stock_keeping_unit), '') as stock_keeping_unit,
        nullif(trim(staged.external_id), '') as external_id,
        coalesce(staged.is_archived, false) as is_archived,
        nullif(upper(trim(staged.currency_iso_code)), '') as currency_iso_code,
        (coalesce(staged.is_deleted, false) or staged._hard_deleted_at is not null) as is_deleted,
        staged.created_at,
        staged.created_by_id,
        staged.last_modified_at,
        staged.last_modified_by_id,
        staged.system_modstamp,
        {{ rejection_reasons(
            salesforce_record_checks('staged.product_id')
            + picklist_checks(picklists, 'staged')
            + [("nullif(trim(staged.product_name), '') is null", "'missing_name'")]
        ) }} as quarantine_reason,
        staged._batch_id,
        staged._extracted_at,
        staged._source,
        staged.source_relation,
        staged._raw_record
    from staged
    {{ picklist_joins('Product2', picklists, 'staged') }}

)

select
    validated.*,
    {{ is_latest_version('product_id') }} as is_latest_version
from validated

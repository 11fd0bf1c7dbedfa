{%- set picklists = {
    'campaign_type': 'Type',
    'status': 'Status',
} -%}

with staged as (

    select * from {{ ref('stg_salesforce__campaigns') }}

),

validated as (

    select
        staged.campaign_id,
        staged.campaign_name,
        staged.parent_campaign_id,
        {{ picklist_canonical('campaign_type') }} as campaign_type,
        {{ picklist_canonical('status') }} as status,
        staged.start_date,
        staged.end_date,
        staged.expected_revenue,
        staged.budgeted_cost,
        staged.actual_cost,
        staged.expected_response_percent,
        staged.number_sent,
        coalesce(staged.is_active, false) as is_active,
        staged.description,
        nullif(upper(trim(staged.currency_iso_code)), '') as currency_iso_code,
        staged.owner_id,
        (coalesce(staged.is_deleted, false) or staged._hard_deleted_at is not null) as is_deleted,
        staged.created_at,
        staged.created_by_id,
        staged.last_modified_at,
        staged.last_modified_by_id,
        staged.system_modstamp,
        {{ rejection_reasons(
            salesforce_record_checks('staged.campaign_id')
            + picklist_checks(picklists, 'staged')
            + [('staged.end_date < staged.start_date', "'ends_before_it_starts'")]
        ) }} as quarantine_reason,
        staged._batch_id,
        staged._extracted_at,
        staged._source,
        staged.source_relation,
        staged._raw_record
    from staged
    {{ picklist_joins('Campaign', picklists, 'staged') }}

)

select
    validated.*,
    {{ is_latest_version('campaign_id') }} as is_latest_version
from validated

{%- set picklists = {
    'stage_name': 'StageName',
    'opportunity_type': 'Type',
    'lead_source': 'LeadSource',
    'forecast_category': 'ForecastCategoryName',
} -%}

{#- IsWon implies IsClosed in Salesforce: a version saying otherwise (won_but_not_closed) can be counted
    neither as won nor as open, so it is quarantined instead of reaching gold. -#}
with staged as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

validated as (

    select
        staged.opportunity_id,
        staged.account_id,
        staged.opportunity_name,
        staged.description,
        {{ picklist_canonical('stage_name') }} as stage_name,
        staged.amount,
        staged.probability,
        staged.close_date,
        {{ picklist_canonical('opportunity_type') }} as opportunity_type,
        {{ picklist_canonical('lead_source') }} as lead_source,
        coalesce(staged.is_closed, false) as is_closed,
        coalesce(staged.is_won, false) as is_won,
        {{ picklist_canonical('forecast_category') }} as forecast_category,
        nullif(upper(trim(staged.currency_iso_code)), '') as currency_iso_code,
        staged.owner_id,
        (coalesce(staged.is_deleted, false) or staged._hard_deleted_at is not null) as is_deleted,
        staged.created_at,
        staged.created_by_id,
        staged.last_modified_at,
        staged.last_modified_by_id,
        staged.system_modstamp,
        {{ rejection_reasons(
            salesforce_record_checks('staged.opportunity_id')
            + picklist_checks(picklists, 'staged')
            + [('staged.probability < 0 or staged.probability > 100', "'probability_out_of_range'"),
               ('staged.is_won and staged.is_closed = false', "'won_but_not_closed'")]
        ) }} as quarantine_reason,
        staged._batch_id,
        staged._extracted_at,
        staged._source,
        staged.source_relation,
        staged._raw_record
    from staged
    {{ picklist_joins('Opportunity', picklists, 'staged') }}

)

select
    validated.*,
    {{ is_latest_version('opportunity_id') }} as is_latest_version
from validated

with live_campaigns as (

    select * from {{ ref('int_salesforce__campaign_versions') }}
    where {{ is_live_version() }}

),

users as (

    select user_id, source_relation, full_name from {{ ref('int_salesforce__users') }}

)

select
    campaigns.campaign_id,
    campaigns.campaign_name,
    campaigns.parent_campaign_id,
    campaigns.campaign_type,
    campaigns.status,
    campaigns.start_date,
    campaigns.end_date,
    campaigns.expected_revenue,
    campaigns.budgeted_cost,
    campaigns.actual_cost,
    campaigns.expected_response_percent,
    campaigns.number_sent,
    campaigns.is_active,
    campaigns.description,
    campaigns.currency_iso_code,
    campaigns.owner_id,
    {{ salesforce_owner_type('campaigns.owner_id') }} as owner_type,
    owners.full_name as owner_name,
    campaigns.created_at,
    campaigns.last_modified_at,
    campaigns.system_modstamp,
    campaigns._batch_id,
    campaigns._extracted_at,
    campaigns.source_relation
from live_campaigns as campaigns
left join users as owners
    on owners.user_id = campaigns.owner_id
    and owners.source_relation = campaigns.source_relation

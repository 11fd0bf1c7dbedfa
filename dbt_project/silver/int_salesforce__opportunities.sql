with live_opportunities as (

    select * from {{ ref('int_salesforce__opportunity_versions') }}
    where {{ is_live_version() }}

),

accounts as (

    select account_id, source_relation, customer_key from {{ ref('int_salesforce__accounts') }}

),

users as (

    select user_id, source_relation, full_name from {{ ref('int_salesforce__users') }}

)

select
    opportunities.opportunity_id,
    opportunities.account_id,
    accounts.customer_key as account_customer_key,
    opportunities.opportunity_name,
    opportunities.description,
    opportunities.stage_name,
    opportunities.amount,
    opportunities.probability,
    opportunities.close_date,
    opportunities.opportunity_type,
    opportunities.lead_source,
    opportunities.is_closed,
    opportunities.is_won,
    opportunities.forecast_category,
    opportunities.currency_iso_code,
    opportunities.owner_id,
    {{ salesforce_owner_type('opportunities.owner_id') }} as owner_type,
    owners.full_name as owner_name,
    opportunities.created_at,
    opportunities.last_modified_at,
    opportunities.system_modstamp,
    opportunities._batch_id,
    opportunities._extracted_at,
    opportunities.source_relation
from live_opportunities as opportunities
left join accounts
    on accounts.account_id = opportunities.account_id
    and accounts.source_relation = opportunities.source_relation
left join users as owners
    on owners.user_id = opportunities.owner_id
    and owners.source_relation = opportunities.source_relation

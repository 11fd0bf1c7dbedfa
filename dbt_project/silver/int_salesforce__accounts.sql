with live_accounts as (

    select * from {{ ref('int_salesforce__account_versions') }}
    where {{ is_live_version() }}

),

users as (

    select user_id, source_relation, full_name from {{ ref('int_salesforce__users') }}

)

select
    accounts.account_id,
    accounts.customer_key,
    accounts.account_name,
    accounts.account_type,
    accounts.industry,
    accounts.parent_account_id,
    parent_accounts.customer_key as parent_customer_key,
    accounts.billing_street,
    accounts.billing_city,
    accounts.billing_state,
    accounts.billing_postal_code,
    accounts.billing_country,
    accounts.phone,
    accounts.website,
    accounts.annual_revenue,
    accounts.number_of_employees,
    accounts.description,
    accounts.owner_id,
    {{ salesforce_owner_type('accounts.owner_id') }} as owner_type,
    owners.full_name as owner_name,
    accounts.salesforce_open_pipeline_amount,
    accounts.salesforce_closed_won_amount,
    accounts.salesforce_open_case_count,
    accounts.salesforce_avg_case_resolution_hours,
    accounts.salesforce_customer_health,
    accounts.currency_iso_code,
    accounts.created_at,
    accounts.last_modified_at,
    accounts.system_modstamp,
    accounts._batch_id,
    accounts._extracted_at,
    accounts.source_relation
from live_accounts as accounts
left join live_accounts as parent_accounts
    on parent_accounts.account_id = accounts.parent_account_id
    and parent_accounts.source_relation = accounts.source_relation
left join users as owners
    on owners.user_id = accounts.owner_id
    and owners.source_relation = accounts.source_relation

with live_leads as (

    select * from {{ ref('int_salesforce__lead_versions') }}
    where {{ is_live_version() }}

),

accounts as (

    select account_id, source_relation, customer_key from {{ ref('int_salesforce__accounts') }}

),

users as (

    select user_id, source_relation, full_name from {{ ref('int_salesforce__users') }}

),

email_addresses as (

    select email, source_relation, is_duplicate from {{ ref('int_salesforce__person_email_addresses') }}

)

select
    leads.lead_id,
    leads.first_name,
    leads.last_name,
    leads.full_name,
    leads.company,
    leads.title,
    leads.email,
    leads.is_email_valid,
    {#- Converted leads are not counted in int_salesforce__person_email_addresses, so never duplicates. -#}
    case
        when leads.is_converted then false
        else coalesce(email_addresses.is_duplicate, false)
    end as is_email_duplicate,
    leads.email_raw,
    leads.phone,
    leads.status,
    leads.lead_source,
    leads.industry,
    leads.rating,
    leads.annual_revenue,
    leads.number_of_employees,
    leads.country,
    leads.is_converted,
    leads.converted_date,
    leads.converted_account_id,
    converted_accounts.customer_key as converted_account_customer_key,
    leads.converted_contact_id,
    leads.converted_opportunity_id,
    leads.owner_id,
    {{ salesforce_owner_type('leads.owner_id') }} as owner_type,
    owners.full_name as owner_name,
    leads.created_at,
    leads.last_modified_at,
    leads.system_modstamp,
    leads._batch_id,
    leads._extracted_at,
    leads.source_relation
from live_leads as leads
left join accounts as converted_accounts
    on converted_accounts.account_id = leads.converted_account_id
    and converted_accounts.source_relation = leads.source_relation
left join users as owners
    on owners.user_id = leads.owner_id
    and owners.source_relation = leads.source_relation
left join email_addresses
    on email_addresses.email = leads.email
    and email_addresses.source_relation = leads.source_relation

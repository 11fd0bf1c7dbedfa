with live_cases as (

    select * from {{ ref('int_salesforce__case_versions') }}
    where {{ is_live_version() }}

),

accounts as (

    select account_id, customer_key from {{ ref('int_salesforce__accounts') }}

),

contacts as (

    select contact_id, full_name from {{ ref('int_salesforce__contacts') }}

),

users as (

    select user_id, full_name from {{ ref('int_salesforce__users') }}

)

select
    cases.case_id,
    cases.case_number,
    cases.account_id,
    accounts.customer_key as account_customer_key,
    cases.contact_id,
    contacts.full_name as contact_name,
    cases.subject,
    cases.description,
    cases.status,
    cases.priority,
    cases.origin,
    cases.case_type,
    cases.case_reason,
    cases.is_closed,
    cases.is_escalated,
    cases.created_at,
    cases.closed_at,
    cases.owner_id,
    {{ salesforce_owner_type('cases.owner_id') }} as owner_type,
    owners.full_name as owner_name,
    cases.last_modified_at,
    cases.system_modstamp,
    cases._batch_id,
    cases._extracted_at
from live_cases as cases
left join accounts
    on accounts.account_id = cases.account_id
left join contacts
    on contacts.contact_id = cases.contact_id
left join users as owners
    on owners.user_id = cases.owner_id

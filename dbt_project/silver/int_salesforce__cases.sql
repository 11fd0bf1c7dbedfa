with live_cases as (

    select * from {{ ref('int_salesforce__case_versions') }}
    where {{ is_live_version() }}

),

accounts as (

    select account_id, source_relation, customer_key from {{ ref('int_salesforce__accounts') }}

),

contacts as (

    select contact_id, source_relation, full_name from {{ ref('int_salesforce__contacts') }}

),

users as (

    select user_id, source_relation, full_name from {{ ref('int_salesforce__users') }}

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
    cases._extracted_at,
    cases.source_relation
from live_cases as cases
left join accounts
    on accounts.account_id = cases.account_id
    and accounts.source_relation = cases.source_relation
left join contacts
    on contacts.contact_id = cases.contact_id
    and contacts.source_relation = cases.source_relation
left join users as owners
    on owners.user_id = cases.owner_id
    and owners.source_relation = cases.source_relation

with live_contacts as (

    select * from {{ ref('int_salesforce__contact_versions') }}
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
    contacts.contact_id,
    contacts.account_id,
    accounts.customer_key as account_customer_key,
    contacts.salutation,
    contacts.first_name,
    contacts.last_name,
    contacts.full_name,
    contacts.email,
    contacts.is_email_valid,
    coalesce(email_addresses.is_duplicate, false) as is_email_duplicate,
    contacts.email_raw,
    contacts.phone,
    contacts.mobile_phone,
    contacts.title,
    contacts.department,
    contacts.lead_source,
    contacts.mailing_street,
    contacts.mailing_city,
    contacts.mailing_state,
    contacts.mailing_postal_code,
    contacts.mailing_country,
    contacts.has_opted_out_of_email,
    contacts.birthdate,
    contacts.owner_id,
    {{ salesforce_owner_type('contacts.owner_id') }} as owner_type,
    owners.full_name as owner_name,
    contacts.created_at,
    contacts.last_modified_at,
    contacts.system_modstamp,
    contacts._batch_id,
    contacts._extracted_at,
    contacts.source_relation
from live_contacts as contacts
left join accounts
    on accounts.account_id = contacts.account_id
    and accounts.source_relation = contacts.source_relation
left join users as owners
    on owners.user_id = contacts.owner_id
    and owners.source_relation = contacts.source_relation
left join email_addresses
    on email_addresses.email = contacts.email
    and email_addresses.source_relation = contacts.source_relation

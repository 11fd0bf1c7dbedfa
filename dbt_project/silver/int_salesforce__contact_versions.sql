{#- Salutation is not governed by the seed (org-specific values): it is passed through trimmed. -#}
{%- set picklists = {
    'lead_source': 'LeadSource',
} -%}

with staged as (

    select * from {{ ref('stg_salesforce__contacts') }}

),

validated as (

    select
        staged.contact_id,
        staged.account_id,
        nullif(trim(staged.salutation), '') as salutation,
        staged.first_name,
        staged.last_name,
        staged.full_name,
        {{ email_columns('staged.email') }},
        staged.phone,
        staged.mobile_phone,
        staged.title,
        staged.department,
        {{ picklist_canonical('lead_source') }} as lead_source,
        staged.mailing_street,
        staged.mailing_city,
        staged.mailing_state,
        staged.mailing_postal_code,
        staged.mailing_country,
        staged.has_opted_out_of_email,
        staged.birthdate,
        staged.owner_id,
        staged.master_record_id,
        (coalesce(staged.is_deleted, false) or staged._hard_deleted_at is not null) as is_deleted,
        staged.created_at,
        staged.created_by_id,
        staged.last_modified_at,
        staged.last_modified_by_id,
        staged.system_modstamp,
        {{ rejection_reasons(
            salesforce_record_checks('staged.contact_id')
            + picklist_checks(picklists, 'staged')
        ) }} as quarantine_reason,
        staged._batch_id,
        staged._extracted_at,
        staged._source,
        staged.source_relation,
        staged._raw_record
    from staged
    {{ picklist_joins('Contact', picklists, 'staged') }}

)

select
    validated.*,
    {{ is_latest_version('contact_id') }} as is_latest_version
from validated

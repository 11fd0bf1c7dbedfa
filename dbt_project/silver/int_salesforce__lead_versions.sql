{%- set picklists = {
    'status': 'Status',
    'lead_source': 'LeadSource',
    'industry': 'Industry',
    'rating': 'Rating',
} -%}

with staged as (

    select * from {{ ref('stg_salesforce__leads') }}

),

validated as (

    select
        staged.lead_id,
        staged.first_name,
        staged.last_name,
        staged.full_name,
        staged.company,
        staged.title,
        {{ email_columns('staged.email') }},
        staged.phone,
        {{ picklist_canonical('status') }} as status,
        {{ picklist_canonical('lead_source') }} as lead_source,
        {{ picklist_canonical('industry') }} as industry,
        {{ picklist_canonical('rating') }} as rating,
        staged.annual_revenue,
        staged.number_of_employees,
        staged.country,
        coalesce(staged.is_converted, false) as is_converted,
        staged.converted_date,
        staged.converted_account_id,
        staged.converted_contact_id,
        staged.converted_opportunity_id,
        staged.owner_id,
        staged.master_record_id,
        (coalesce(staged.is_deleted, false) or staged._hard_deleted_at is not null) as is_deleted,
        staged.created_at,
        staged.created_by_id,
        staged.last_modified_at,
        staged.last_modified_by_id,
        staged.system_modstamp,
        {{ rejection_reasons(
            salesforce_record_checks('staged.lead_id')
            + picklist_checks(picklists, 'staged')
        ) }} as quarantine_reason,
        staged._batch_id,
        staged._extracted_at,
        staged._source,
        staged.source_relation,
        staged._raw_record
    from staged
    {{ picklist_joins('Lead', picklists, 'staged') }}

)

select
    validated.*,
    {{ is_latest_version('lead_id') }} as is_latest_version
from validated

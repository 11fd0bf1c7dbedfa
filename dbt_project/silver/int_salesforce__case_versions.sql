{#- Reason is not governed by the seed (org-specific values): it is passed through trimmed. -#}
{%- set picklists = {
    'status': 'Status',
    'priority': 'Priority',
    'origin': 'Origin',
    'case_type': 'Type',
} -%}

with staged as (

    select * from {{ ref('stg_salesforce__cases') }}

),

validated as (

    select
        staged.case_id,
        staged.case_number,
        staged.account_id,
        staged.contact_id,
        staged.subject,
        staged.description,
        {{ picklist_canonical('status') }} as status,
        {{ picklist_canonical('priority') }} as priority,
        {{ picklist_canonical('origin') }} as origin,
        {{ picklist_canonical('case_type') }} as case_type,
        nullif(trim(staged.case_reason), '') as case_reason,
        coalesce(staged.is_closed, false) as is_closed,
        coalesce(staged.is_escalated, false) as is_escalated,
        staged.closed_at,
        staged.owner_id,
        staged.master_record_id,
        (coalesce(staged.is_deleted, false) or staged._hard_deleted_at is not null) as is_deleted,
        staged.created_at,
        staged.created_by_id,
        staged.last_modified_at,
        staged.last_modified_by_id,
        staged.system_modstamp,
        {{ rejection_reasons(
            salesforce_record_checks('staged.case_id')
            + picklist_checks(picklists, 'staged')
            + [('staged.is_closed and staged.closed_at < staged.created_at', "'closed_date_before_created_date'")]
        ) }} as quarantine_reason,
        staged._batch_id,
        staged._extracted_at,
        staged._source,
        staged.source_relation,
        staged._raw_record
    from staged
    {{ picklist_joins('Case', picklists, 'staged') }}

)

select
    validated.*,
    {{ is_latest_version('case_id') }} as is_latest_version
from validated

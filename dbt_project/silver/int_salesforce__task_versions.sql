{%- set picklists = {
    'status': 'Status',
    'priority': 'Priority',
    'task_subtype': 'TaskSubtype',
} -%}

with staged as (

    select * from {{ ref('stg_salesforce__tasks') }}

),

validated as (

    select
        staged.task_id,
        staged.who_id,
        staged.what_id,
        staged.subject,
        staged.activity_date,
        {{ picklist_canonical('status') }} as status,
        {{ picklist_canonical('priority') }} as priority,
        coalesce(staged.is_closed, false) as is_closed,
        {{ picklist_canonical('task_subtype') }} as task_subtype,
        staged.description,
        staged.owner_id,
        (coalesce(staged.is_deleted, false) or staged._hard_deleted_at is not null) as is_deleted,
        staged.created_at,
        staged.created_by_id,
        staged.last_modified_at,
        staged.last_modified_by_id,
        staged.system_modstamp,
        {{ rejection_reasons(
            salesforce_record_checks('staged.task_id')
            + picklist_checks(picklists, 'staged')
        ) }} as quarantine_reason,
        staged._batch_id,
        staged._extracted_at,
        staged._source,
        staged.source_relation,
        staged._raw_record
    from staged
    {{ picklist_joins('Task', picklists, 'staged') }}

)

select
    validated.*,
    {{ is_latest_version('task_id') }} as is_latest_version
from validated

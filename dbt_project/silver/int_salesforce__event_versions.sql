{#- EventSubtype is passed through trimmed (one value, Event). -#}
{%- set picklists = {
    'show_as': 'ShowAs',
    'event_type': 'Type',
} -%}

with staged as (

    select * from {{ ref('stg_salesforce__events') }}

),

validated as (

    select
        staged.event_id,
        staged.who_id,
        staged.what_id,
        staged.account_id,
        staged.subject,
        staged.location,
        coalesce(staged.is_all_day_event, false) as is_all_day_event,
        staged.activity_at,
        staged.activity_date,
        staged.starts_at,
        staged.ends_at,
        staged.duration_minutes,
        {{ picklist_canonical('show_as') }} as show_as,
        {{ picklist_canonical('event_type') }} as event_type,
        nullif(trim(staged.event_subtype), '') as event_subtype,
        coalesce(staged.is_private, false) as is_private,
        staged.description,
        staged.owner_id,
        (coalesce(staged.is_deleted, false) or staged._hard_deleted_at is not null) as is_deleted,
        staged.created_at,
        staged.created_by_id,
        staged.last_modified_at,
        staged.last_modified_by_id,
        staged.system_modstamp,
        {{ rejection_reasons(
            salesforce_record_checks('staged.event_id')
            + picklist_checks(picklists, 'staged')
            + [
                ('staged.ends_at < staged.starts_at', "'ends_before_it_starts'"),
                ('staged.duration_minutes < 0', "'negative_duration'"),
            ]
        ) }} as quarantine_reason,
        staged._batch_id,
        staged._extracted_at,
        staged._source,
        staged.source_relation,
        staged._raw_record
    from staged
    {{ picklist_joins('Event', picklists, 'staged') }}

)

select
    validated.*,
    {{ is_latest_version('event_id') }} as is_latest_version
from validated

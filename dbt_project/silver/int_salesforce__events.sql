with live_events as (

    select * from {{ ref('int_salesforce__event_versions') }}
    where {{ is_live_version() }}

),

users as (

    select user_id, source_relation, full_name from {{ ref('int_salesforce__users') }}

)

select
    events.event_id,
    events.who_id,
    {#- Key prefixes: 003 Contact, 00Q Lead; 001 Account, 006 Opportunity, 500 Case, 701 Campaign. -#}
    case
        when events.who_id like '003%' then 'Contact'
        when events.who_id like '00Q%' then 'Lead'
    end as who_object,
    events.what_id,
    case
        when events.what_id like '001%' then 'Account'
        when events.what_id like '006%' then 'Opportunity'
        when events.what_id like '500%' then 'Case'
        when events.what_id like '701%' then 'Campaign'
    end as what_object,
    events.account_id,
    events.subject,
    events.location,
    events.is_all_day_event,
    events.activity_at,
    events.activity_date,
    events.starts_at,
    events.ends_at,
    events.duration_minutes,
    events.show_as,
    events.event_type,
    events.event_subtype,
    events.is_private,
    events.description,
    events.owner_id,
    {{ salesforce_owner_type('events.owner_id') }} as owner_type,
    owners.full_name as owner_name,
    events.created_at,
    events.last_modified_at,
    events.system_modstamp,
    events._batch_id,
    events._extracted_at,
    events.source_relation
from live_events as events
left join users as owners
    on owners.user_id = events.owner_id
    and owners.source_relation = events.source_relation

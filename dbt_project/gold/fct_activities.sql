{#-
    One row per live activity: every Task and every Event. A task is completed when it is: IsClosed, or a
    Status listed in var task_closed_statuses (for an org that hides IsClosed from the integration user), never
    "has a due date"; overdue: not completed and due (ActivityDate) before the as-of day (var as_of), due on the
    as-of day is not overdue yet. An event is completed once it has ended at or before var as_of (an all-day
    event without an end: its day is before the as-of day); events are never overdue. The account is the
    related record's account: WhatId's Account, the Opportunity's or the Case's account, else the WhoId
    Contact's account, else (events) the event's own AccountId.
-#}
{%- set closed_statuses = var('task_closed_statuses') -%}

with tasks as (

    select * from {{ ref('int_salesforce__tasks') }}

),

events as (

    select * from {{ ref('int_salesforce__events') }}

),

accounts as (

    select source_relation, account_id from {{ ref('int_salesforce__accounts') }}

),

opportunities as (

    select source_relation, opportunity_id, account_id from {{ ref('int_salesforce__opportunities') }}

),

cases as (

    select source_relation, case_id, account_id from {{ ref('int_salesforce__cases') }}

),

contacts as (

    select source_relation, contact_id, account_id from {{ ref('int_salesforce__contacts') }}

),

task_activities as (

    select
        cast('Task' as {{ dbt.type_string() }}) as activity_type,
        task_id as activity_id,
        subject,
        task_subtype as activity_subtype,
        status,
        priority,
        who_id,
        who_object,
        what_id,
        what_object,
        cast(null as {{ dbt.type_string() }}) as own_account_id,
        owner_id,
        owner_name,
        activity_date as due_date,
        (
            is_closed
            or coalesce(status in (
                {%- for status in closed_statuses %}'{{ status }}'{{ ", " if not loop.last }}
                    {% endfor -%}
            ), false)
        ) as is_completed,
        created_at,
        source_relation
    from tasks

),

event_activities as (

    select
        cast('Event' as {{ dbt.type_string() }}) as activity_type,
        event_id as activity_id,
        subject,
        event_subtype as activity_subtype,
        cast(null as {{ dbt.type_string() }}) as status,
        cast(null as {{ dbt.type_string() }}) as priority,
        who_id,
        who_object,
        what_id,
        what_object,
        account_id as own_account_id,
        owner_id,
        owner_name,
        activity_date as due_date,
        coalesce(
            ends_at <= {{ as_of_timestamp() }},
            activity_date < {{ as_of_date() }},
            false
        ) as is_completed,
        created_at,
        source_relation
    from events

),

activities as (

    select * from task_activities
    union all
    select * from event_activities

),

related as (

    select
        activities.*,
        coalesce(
            accounts.account_id,
            opportunities.account_id,
            cases.account_id,
            contacts.account_id,
            activities.own_account_id
        ) as account_id
    from activities
    left join accounts
        on accounts.account_id = activities.what_id
        and accounts.source_relation = activities.source_relation
    left join opportunities
        on opportunities.opportunity_id = activities.what_id
        and opportunities.source_relation = activities.source_relation
    left join cases
        on cases.case_id = activities.what_id
        and cases.source_relation = activities.source_relation
    left join contacts
        on contacts.contact_id = activities.who_id
        and contacts.source_relation = activities.source_relation

)

select
    activity_type,
    activity_id,
    subject,
    activity_subtype,
    status,
    priority,
    who_id,
    who_object,
    what_id,
    what_object,
    account_id,
    owner_id,
    owner_name,
    due_date,
    is_completed,
    not is_completed as is_open,
    coalesce(activity_type = 'Task' and not is_completed and due_date < {{ as_of_date() }}, false) as is_overdue,
    case
        when activity_type = 'Task' and not is_completed and due_date < {{ as_of_date() }}
            then {{ days_between('due_date', as_of_date()) }}
    end as days_overdue,
    created_at,
    source_relation
from related

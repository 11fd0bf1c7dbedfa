{#-
    One row per live activity: Tasks now. Completed means completed: IsClosed, or a Status listed in var
    task_closed_statuses (for an org that hides IsClosed from the integration user), never "has a due date".
    Overdue: not completed and due (ActivityDate) before the as-of day (var as_of); due on the as-of day is
    not overdue yet. The account is the related record's account: WhatId's Account, the Opportunity's or the
    Case's account, else the WhoId Contact's account.

    Events are designed in: every activity source is a CTE with the columns of `task_activities` (activity_type
    'Event', is_completed = the event ended at or before var as_of, due_date = its start day), added to the
    union in `activities`; nothing downstream changes.
-#}
{%- set closed_statuses = var('task_closed_statuses') -%}

with tasks as (

    select * from {{ ref('int_salesforce__tasks') }}

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
        tasks.task_id as activity_id,
        tasks.subject,
        tasks.task_subtype as activity_subtype,
        tasks.status,
        tasks.priority,
        tasks.who_id,
        tasks.who_object,
        tasks.what_id,
        tasks.what_object,
        coalesce(
            accounts.account_id, opportunities.account_id, cases.account_id, contacts.account_id
        ) as account_id,
        tasks.owner_id,
        tasks.owner_name,
        tasks.activity_date as due_date,
        (
            tasks.is_closed
            or coalesce(tasks.status in (
                {%- for status in closed_statuses %}'{{ status }}'{{ ", " if not loop.last }}
                    {% endfor -%}
            ), false)
        ) as is_completed,
        tasks.created_at,
        tasks.source_relation
    from tasks
    left join accounts
        on accounts.account_id = tasks.what_id
        and accounts.source_relation = tasks.source_relation
    left join opportunities
        on opportunities.opportunity_id = tasks.what_id
        and opportunities.source_relation = tasks.source_relation
    left join cases
        on cases.case_id = tasks.what_id
        and cases.source_relation = tasks.source_relation
    left join contacts
        on contacts.contact_id = tasks.who_id
        and contacts.source_relation = tasks.source_relation

),

activities as (

    select * from task_activities

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
    coalesce(not is_completed and due_date < {{ as_of_date() }}, false) as is_overdue,
    case
        when not is_completed and due_date < {{ as_of_date() }}
            then {{ days_between('due_date', as_of_date()) }}
    end as days_overdue,
    created_at,
    source_relation
from activities

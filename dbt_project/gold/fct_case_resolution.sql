{%- set sla_target_hours = var('case_sla_target_hours') -%}
{#-
    SLA boundary: a closed case breached its SLA when it closed strictly after CreatedDate + target, compared
    as timestamps (no truncation to whole seconds or hours), so a case resolved in exactly its target is
    within SLA. An open case is past its SLA when var as_of is strictly after CreatedDate + target.
    First response: Salesforce's Case has no first-response time (that needs Entitlements' CaseMilestone or
    EmailMessage, neither extracted); the first activity logged on the case (a live Task whose WhatId is the
    case, created at or after the case) stands in for it.
-#}

with cases as (

    select * from {{ ref('int_salesforce__cases') }}

),

first_activities as (

    select
        cases.source_relation,
        cases.case_id,
        min(tasks.created_at) as first_response_at
    from cases
    inner join {{ ref('int_salesforce__tasks') }} as tasks
        on tasks.what_id = cases.case_id
        and tasks.source_relation = cases.source_relation
        and tasks.created_at >= cases.created_at
    group by cases.source_relation, cases.case_id

),

resolution as (

    select
        cases.*,
        first_activities.first_response_at,
        case
            when cases.is_closed and cases.closed_at is not null
                then {{ dbt.datediff('cases.created_at', 'cases.closed_at', 'second') }}
        end as resolution_seconds,
        case cases.priority
            {%- for priority, hours in sla_target_hours.items() %}
            when '{{ priority }}' then {{ hours }}
            {%- endfor %}
        end as sla_target_hours,
        case cases.priority
            {%- for priority, hours in sla_target_hours.items() %}
            when '{{ priority }}' then {{ dbt.dateadd('hour', hours, 'cases.created_at') }}
            {%- endfor %}
        end as sla_due_at
    from cases
    left join first_activities
        on first_activities.case_id = cases.case_id
        and first_activities.source_relation = cases.source_relation

)

select
    case_id,
    case_number,
    account_id,
    account_customer_key,
    contact_id,
    owner_id,
    owner_name,
    status,
    priority,
    origin,
    case_type,
    is_closed,
    is_escalated,
    created_at,
    closed_at,
    {{ round_decimal(safe_divide('resolution_seconds', 3600), 4) }} as resolution_hours,
    sla_target_hours,
    sla_due_at,
    case
        when resolution_seconds is null or sla_due_at is null then null
        when closed_at > sla_due_at then true
        else false
    end as is_sla_breached,
    case
        when is_closed or created_at > {{ as_of_timestamp() }} then null
        else {{ round_decimal(hours_between('created_at', as_of_timestamp()), 4) }}
    end as open_age_hours,
    case
        when is_closed or sla_due_at is null or created_at > {{ as_of_timestamp() }} then null
        when {{ as_of_timestamp() }} > sla_due_at then true
        else false
    end as is_open_past_sla,
    case
        when sla_due_at is null then 'No Target'
        when is_closed and closed_at is null then 'No Target'
        when is_closed and closed_at > sla_due_at then 'Breached'
        when is_closed then 'Met'
        when {{ as_of_timestamp() }} > sla_due_at then 'Open - Past SLA'
        else 'Open - Within SLA'
    end as sla_status,
    first_response_at,
    {{ round_decimal(hours_between('created_at', 'first_response_at'), 4) }} as hours_to_first_response,
    source_relation
from resolution

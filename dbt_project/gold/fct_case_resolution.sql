{%- set sla_target_hours = var('case_sla_target_hours') -%}

with cases as (

    select * from {{ ref('int_salesforce__cases') }}

),

resolution as (

    select
        cases.*,
        case
            when cases.is_closed and cases.closed_at is not null
                then {{ dbt.datediff('cases.created_at', 'cases.closed_at', 'second') }}
        end as resolution_seconds,
        case cases.priority
            {%- for priority, hours in sla_target_hours.items() %}
            when '{{ priority }}' then {{ hours }}
            {%- endfor %}
        end as sla_target_hours
    from cases

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
    case
        when resolution_seconds is null or sla_target_hours is null then null
        when resolution_seconds > sla_target_hours * 3600 then true
        else false
    end as is_sla_breached,
    source_relation
from resolution

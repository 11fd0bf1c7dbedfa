{%- set health = var('customer_health_thresholds') -%}

with accounts as (

    select * from {{ ref('int_salesforce__accounts') }}

),

pipeline as (

    select * from {{ ref('fct_opportunity_pipeline_by_account') }}

),

case_totals as (

    select
        source_relation,
        account_id,
        count(*) as case_count,
        sum(case when is_closed then 0 else 1 end) as open_case_count,
        sum(case when not is_closed and is_escalated then 1 else 0 end) as open_escalated_case_count,
        sum(case when not is_closed and priority = 'High' then 1 else 0 end) as open_high_priority_case_count,
        avg(resolution_hours) as avg_case_resolution_hours,
        sum(case when is_sla_breached then 1 else 0 end) as sla_breached_case_count,
        count(is_sla_breached) as sla_evaluated_case_count
    from {{ ref('fct_case_resolution') }}
    where account_id is not null
    group by source_relation, account_id

),

account_metrics as (

    select
        accounts.account_id,
        accounts.customer_key,
        accounts.account_name,
        accounts.account_type,
        accounts.industry,
        accounts.parent_account_id,
        accounts.parent_customer_key,
        accounts.billing_city,
        accounts.billing_state,
        accounts.billing_country,
        accounts.annual_revenue,
        accounts.number_of_employees,
        accounts.owner_id,
        accounts.owner_type,
        accounts.owner_name,
        accounts.created_at,
        pipeline.open_opportunity_count,
        pipeline.open_pipeline_amount,
        pipeline.weighted_pipeline_amount,
        pipeline.won_opportunity_count,
        pipeline.closed_won_amount,
        pipeline.lost_opportunity_count,
        pipeline.closed_lost_amount,
        pipeline.win_rate,
        coalesce(case_totals.case_count, 0) as case_count,
        coalesce(case_totals.open_case_count, 0) as open_case_count,
        coalesce(case_totals.open_escalated_case_count, 0) as open_escalated_case_count,
        coalesce(case_totals.open_high_priority_case_count, 0) as open_high_priority_case_count,
        {{ round_decimal('case_totals.avg_case_resolution_hours', 2) }} as avg_case_resolution_hours,
        {{ round_decimal(safe_divide(
            'case_totals.sla_breached_case_count',
            'case_totals.sla_evaluated_case_count'
        ), 4) }} as sla_breach_share,
        accounts.source_relation
    from accounts
    left join pipeline
        on pipeline.account_id = accounts.account_id
        and pipeline.source_relation = accounts.source_relation
    left join case_totals
        on case_totals.account_id = accounts.account_id
        and case_totals.source_relation = accounts.source_relation

)

select
    account_metrics.*,
    case
        when account_metrics.open_escalated_case_count >= {{ health['critical_min_open_escalated_cases'] }}
            or account_metrics.open_high_priority_case_count >= {{ health['critical_min_open_high_priority_cases'] }}
            then 'Critical'
        when account_metrics.open_case_count >= {{ health['at_risk_min_open_cases'] }}
            or account_metrics.sla_breach_share >= {{ health['at_risk_min_sla_breach_share'] }}
            then 'At Risk'
        else 'Healthy'
    end as customer_health
from account_metrics

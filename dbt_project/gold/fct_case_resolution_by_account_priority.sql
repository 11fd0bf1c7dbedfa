with case_resolution as (

    select * from {{ ref('fct_case_resolution') }}
    where account_id is not null

)

select
    account_id,
    max(account_customer_key) as account_customer_key,
    coalesce(priority, 'Unspecified') as priority,
    count(*) as case_count,
    sum(case when is_closed then 0 else 1 end) as open_case_count,
    sum(case when is_closed then 1 else 0 end) as closed_case_count,
    sum(case when is_escalated then 1 else 0 end) as escalated_case_count,
    {{ round_decimal('avg(resolution_hours)', 2) }} as avg_resolution_hours,
    {{ round_decimal(median('resolution_hours'), 2) }} as median_resolution_hours,
    sum(case when is_sla_breached then 1 else 0 end) as sla_breached_case_count,
    {{ round_decimal(safe_divide(
        'sum(case when is_sla_breached then 1 else 0 end)',
        'count(is_sla_breached)'
    ), 4) }} as sla_breach_share,
    source_relation
from case_resolution
group by source_relation, account_id, coalesce(priority, 'Unspecified')

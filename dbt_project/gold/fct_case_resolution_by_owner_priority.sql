-- One row per case owner (a user or a queue) and priority ('Unspecified' when NULL) over fct_case_resolution.
select
    owner_id,
    max(owner_name) as owner_name,
    coalesce(priority, 'Unspecified') as priority,
    count(*) as case_count,
    sum(case when is_closed then 0 else 1 end) as open_case_count,
    sum(case when is_closed then 1 else 0 end) as closed_case_count,
    {{ round_decimal('avg(resolution_hours)', 2) }} as avg_resolution_hours,
    {{ round_decimal(median('resolution_hours'), 2) }} as median_resolution_hours,
    sum(case when is_sla_breached then 1 else 0 end) as sla_breached_case_count,
    {{ round_decimal(safe_divide(
        'sum(case when is_sla_breached then 1 else 0 end)',
        'count(is_sla_breached)'
    ), 4) }} as sla_breach_share,
    sum(case when is_open_past_sla then 1 else 0 end) as open_past_sla_case_count,
    count(first_response_at) as responded_case_count,
    {{ round_decimal('avg(hours_to_first_response)', 2) }} as avg_hours_to_first_response,
    source_relation
from {{ ref('fct_case_resolution') }}
group by source_relation, owner_id, coalesce(priority, 'Unspecified')

-- One row per activity owner and account (account NULL: activities related to no account) over fct_activities.
select
    owner_id,
    max(owner_name) as owner_name,
    account_id,
    count(*) as activity_count,
    sum(case when is_completed then 1 else 0 end) as completed_activity_count,
    sum(case when is_open then 1 else 0 end) as open_activity_count,
    sum(case when is_overdue then 1 else 0 end) as overdue_activity_count,
    {{ round_decimal(safe_divide('sum(case when is_completed then 1 else 0 end)', 'count(*)'), 4) }}
        as completion_rate,
    {{ round_decimal(safe_divide(
        'sum(case when is_overdue then 1 else 0 end)',
        'sum(case when is_open then 1 else 0 end)'
    ), 4) }} as overdue_share_of_open,
    min(case when is_open then due_date end) as next_open_due_date,
    max(case when is_open then days_overdue end) as max_days_overdue,
    source_relation
from {{ ref('fct_activities') }}
group by source_relation, owner_id, account_id

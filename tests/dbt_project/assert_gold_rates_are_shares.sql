-- Every rate and share gold computes lies between 0 and 1 (or is NULL at a zero denominator).
{%- set rates = [
    ('fct_owner_performance', 'win_rate_by_count'), ('fct_owner_performance', 'win_rate_by_amount'),
    ('fct_manager_performance', 'win_rate_by_count'), ('fct_manager_performance', 'win_rate_by_amount'),
    ('fct_activities_by_owner_account', 'completion_rate'), ('fct_activities_by_owner_account', 'overdue_share_of_open'),
    ('fct_case_resolution_by_owner_priority', 'sla_breach_share'),
    ('fct_opportunity_pipeline_by_account', 'win_rate'),
] %}
{%- for model, column in rates %}
select '{{ model }}.{{ column }}' as rate, {{ column }} as value
from {{ ref(model) }}
where {{ column }} < 0 or {{ column }} > 1
{% if not loop.last %}union all{% endif %}
{%- endfor %}

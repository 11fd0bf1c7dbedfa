-- Reconciliation: the won and lost deals of fct_owner_performance add up, per org, to the closed live
-- opportunities of silver (with an owner and a CloseDate): no deal is counted twice or lost on the way to gold.
with from_silver as (

    select
        source_relation,
        sum(case when is_won then 1 else 0 end) as won_count,
        sum(case when is_won then coalesce(amount, 0) else 0 end) as won_amount,
        sum(case when is_won then 0 else 1 end) as lost_count,
        sum(case when is_won then 0 else coalesce(amount, 0) end) as lost_amount
    from {{ ref('int_salesforce__opportunities') }}
    where is_closed and owner_id is not null and close_date is not null
    group by source_relation

),

from_gold as (

    select
        source_relation,
        sum(won_opportunity_count) as won_count,
        sum(bookings_amount) as won_amount,
        sum(lost_opportunity_count) as lost_count,
        sum(lost_amount) as lost_amount
    from {{ ref('fct_owner_performance') }}
    group by source_relation

)

select from_silver.*, from_gold.won_count as gold_won_count, from_gold.won_amount as gold_won_amount,
    from_gold.lost_count as gold_lost_count, from_gold.lost_amount as gold_lost_amount
from from_silver
left join from_gold
    on from_gold.source_relation = from_silver.source_relation
where from_gold.source_relation is null
    or from_gold.won_count <> from_silver.won_count
    or from_gold.lost_count <> from_silver.lost_count
    or abs(from_gold.won_amount - from_silver.won_amount) >= 0.01
    or abs(from_gold.lost_amount - from_silver.lost_amount) >= 0.01

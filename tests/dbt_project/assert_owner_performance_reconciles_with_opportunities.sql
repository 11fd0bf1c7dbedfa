-- Reconciliation: the won and lost deals of fct_owner_performance add up, per org, to the closed opportunities
-- of fct_opportunities (1:1 with the live opportunities of silver; with an owner and a CloseDate): no deal is
-- counted twice or lost on the way. Both sides are gold models, so the test runs in the gold task group.
with from_opportunities as (

    select
        source_relation,
        sum(case when is_won then 1 else 0 end) as won_count,
        sum(case when is_won then coalesce(amount, 0) else 0 end) as won_amount,
        sum(case when is_won then 0 else 1 end) as lost_count,
        sum(case when is_won then 0 else coalesce(amount, 0) end) as lost_amount
    from {{ ref('fct_opportunities') }}
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

select from_opportunities.*, from_gold.won_count as gold_won_count, from_gold.won_amount as gold_won_amount,
    from_gold.lost_count as gold_lost_count, from_gold.lost_amount as gold_lost_amount
from from_opportunities
left join from_gold
    on from_gold.source_relation = from_opportunities.source_relation
where from_gold.source_relation is null
    or from_gold.won_count <> from_opportunities.won_count
    or from_gold.lost_count <> from_opportunities.lost_count
    or abs(from_gold.won_amount - from_opportunities.won_amount) >= 0.01
    or abs(from_gold.lost_amount - from_opportunities.lost_amount) >= 0.01

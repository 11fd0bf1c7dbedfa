with accounts as (

    select account_id, source_relation, customer_key, account_name from {{ ref('int_salesforce__accounts') }}

),

opportunities as (

    select * from {{ ref('int_salesforce__opportunities') }}

),

opportunity_totals as (

    select
        source_relation,
        account_id,
        sum(case when not is_closed then 1 else 0 end) as open_opportunity_count,
        sum(case when not is_closed then amount end) as open_pipeline_amount,
        {#- probability is a percent; * 0.01 keeps the product an exact decimal on every warehouse. -#}
        sum(case when not is_closed then amount * coalesce(probability, 0) * 0.01 end) as weighted_pipeline_amount,
        sum(case when is_closed and is_won then 1 else 0 end) as won_opportunity_count,
        sum(case when is_closed and is_won then amount end) as closed_won_amount,
        sum(case when is_closed and not is_won then 1 else 0 end) as lost_opportunity_count,
        sum(case when is_closed and not is_won then amount end) as closed_lost_amount
    from opportunities
    where account_id is not null
    group by source_relation, account_id

)

select
    accounts.account_id,
    accounts.customer_key,
    accounts.account_name,
    coalesce(opportunity_totals.open_opportunity_count, 0) as open_opportunity_count,
    {{ round_decimal('coalesce(opportunity_totals.open_pipeline_amount, 0)', 2) }} as open_pipeline_amount,
    {{ round_decimal('coalesce(opportunity_totals.weighted_pipeline_amount, 0)', 2) }} as weighted_pipeline_amount,
    coalesce(opportunity_totals.won_opportunity_count, 0) as won_opportunity_count,
    {{ round_decimal('coalesce(opportunity_totals.closed_won_amount, 0)', 2) }} as closed_won_amount,
    coalesce(opportunity_totals.lost_opportunity_count, 0) as lost_opportunity_count,
    {{ round_decimal('coalesce(opportunity_totals.closed_lost_amount, 0)', 2) }} as closed_lost_amount,
    {{ round_decimal(safe_divide(
        'opportunity_totals.won_opportunity_count',
        'opportunity_totals.won_opportunity_count + opportunity_totals.lost_opportunity_count'
    ), 4) }} as win_rate,
    accounts.source_relation
from accounts
left join opportunity_totals
    on opportunity_totals.account_id = accounts.account_id
    and opportunity_totals.source_relation = accounts.source_relation

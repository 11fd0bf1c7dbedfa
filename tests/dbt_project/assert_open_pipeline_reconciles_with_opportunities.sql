-- The open pipeline of dim_accounts adds up to the open opportunities of live accounts in fct_opportunities
-- (one row per live opportunity, 1:1 with silver): no opportunity is counted twice or lost on the way to gold.
-- Both sides are gold models, so this test runs in the gold task group after both are built.
with from_opportunities as (

    select coalesce(sum(opportunities.amount), 0) as open_pipeline_amount
    from {{ ref('fct_opportunities') }} as opportunities
    inner join {{ ref('dim_accounts') }} as accounts
        on accounts.account_id = opportunities.account_id
        and accounts.source_relation = opportunities.source_relation
    where opportunities.is_open

),

from_accounts as (

    select coalesce(sum(open_pipeline_amount), 0) as open_pipeline_amount
    from {{ ref('dim_accounts') }}

)

select
    from_opportunities.open_pipeline_amount as opportunities_total,
    from_accounts.open_pipeline_amount as accounts_total
from from_opportunities
cross join from_accounts
where abs(from_opportunities.open_pipeline_amount - from_accounts.open_pipeline_amount) >= 0.01

-- The open pipeline of dim_accounts adds up to the open opportunities of live accounts: no opportunity
-- is counted twice or lost between silver and gold.
with from_opportunities as (

    select coalesce(sum(opportunities.amount), 0) as open_pipeline_amount
    from {{ ref('int_salesforce__opportunities') }} as opportunities
    inner join {{ ref('int_salesforce__accounts') }} as accounts
        on accounts.account_id = opportunities.account_id
    where not opportunities.is_closed

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

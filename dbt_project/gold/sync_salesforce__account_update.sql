{#-
    Reverse sync (update by Id) of the account rollups into Salesforce. Columns are the Account fields' API
    names in lower case. Diff-only: an account is emitted only when a value, rounded to 2 decimals, is
    distinct (NULL-safe) from what Salesforce holds now, i.e. the latest landed version of the Account.
    With several orgs, the sync writes into the first org of salesforce_sources (its Hightouch destination).
-#}
{%- set synced_org = medallion.salesforce_sources()[0] -%}
with gold_values as (

    select
        account_id,
        {{ round_decimal('open_pipeline_amount', 2) }} as open_pipeline_amount,
        {{ round_decimal('closed_won_amount', 2) }} as closed_won_amount,
        {{ round_decimal('open_case_count', 2) }} as open_case_count,
        {{ round_decimal('avg_case_resolution_hours', 2) }} as avg_case_resolution_hours,
        customer_health
    from {{ ref('dim_accounts') }}
    where source_relation = '{{ synced_org }}'

),

salesforce_values as (

    select
        account_id,
        {{ round_decimal('salesforce_open_pipeline_amount', 2) }} as open_pipeline_amount,
        {{ round_decimal('salesforce_closed_won_amount', 2) }} as closed_won_amount,
        {{ round_decimal('salesforce_open_case_count', 2) }} as open_case_count,
        {{ round_decimal('salesforce_avg_case_resolution_hours', 2) }} as avg_case_resolution_hours,
        salesforce_customer_health as customer_health
    from {{ ref('int_salesforce__accounts') }}
    where source_relation = '{{ synced_org }}'

)

select
    gold_values.account_id as id,
    gold_values.open_pipeline_amount as open_pipeline_amount__c,
    gold_values.closed_won_amount as closed_won_amount__c,
    gold_values.open_case_count as open_case_count__c,
    gold_values.avg_case_resolution_hours as avg_case_resolution_hours__c,
    gold_values.customer_health as customer_health__c
from gold_values
inner join salesforce_values
    on salesforce_values.account_id = gold_values.account_id
where gold_values.open_pipeline_amount is distinct from salesforce_values.open_pipeline_amount
    or gold_values.closed_won_amount is distinct from salesforce_values.closed_won_amount
    or gold_values.open_case_count is distinct from salesforce_values.open_case_count
    or gold_values.avg_case_resolution_hours is distinct from salesforce_values.avg_case_resolution_hours
    or gold_values.customer_health is distinct from salesforce_values.customer_health

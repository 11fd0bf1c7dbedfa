{#-
    Which Salesforce account each live ERP customer is. Rules, in order:
    1. customer_key: the customer's number (trimmed, upper case) equals an account's Customer_Key__c (trimmed,
       upper case). Keys are unique in an org; when several orgs hold the key, the first org in source_relation
       order wins (the default org, `salesforce`, sorts first).
    2. name_country: no key match, and exactly one live account WITHOUT a customer key has the customer's name
       and billing country (both compared by name_match_key: case, spacing and punctuation ignored) in the first
       org (source_relation order) holding any such account. An account with a key is only ever matched by its key.
    3. ambiguous_name_country: several such accounts of that org share the name and country - none is chosen.
    4. unmatched: nothing matched (or the customer has no name or country for rule 2).
-#}
with customers as (

    select
        customer_id,
        customer_number,
        customer_name,
        billing_country,
        {{ name_match_key('customer_name') }} as name_key,
        {{ name_match_key('billing_country') }} as country_key
    from {{ ref('int_erp__customers') }}

),

accounts as (

    select
        account_id,
        source_relation,
        account_name,
        {{ erp_business_key('customer_key') }} as customer_key,
        {{ name_match_key('account_name') }} as name_key,
        {{ name_match_key('billing_country') }} as country_key
    from {{ ref('int_salesforce__accounts') }}

),

key_matches as (

    select customer_id, account_id, source_relation
    from (
        select
            customers.customer_id,
            accounts.account_id,
            accounts.source_relation,
            row_number() over (
                partition by customers.customer_id order by accounts.source_relation, accounts.account_id
            ) as match_rank
        from customers
        inner join accounts on accounts.customer_key = customers.customer_number
    ) as ranked
    where match_rank = 1

),

name_candidates_by_org as (

    select
        customers.customer_id,
        accounts.source_relation,
        min(accounts.account_id) as account_id,
        count(*) as candidate_count
    from customers
    inner join accounts
        on accounts.name_key = customers.name_key
        and accounts.country_key = customers.country_key
        and accounts.customer_key is null
    group by customers.customer_id, accounts.source_relation

),

name_candidates as (

    select customer_id, source_relation, account_id, candidate_count
    from (
        select
            name_candidates_by_org.*,
            row_number() over (
                partition by name_candidates_by_org.customer_id order by name_candidates_by_org.source_relation
            ) as org_rank
        from name_candidates_by_org
    ) as ranked
    where org_rank = 1

)

select
    customers.customer_id,
    customers.customer_number,
    customers.customer_name,
    customers.billing_country,
    case
        when key_matches.account_id is not null then 'customer_key'
        when name_candidates.candidate_count = 1 then 'name_country'
        when name_candidates.candidate_count > 1 then 'ambiguous_name_country'
        else 'unmatched'
    end as match_method,
    case
        when key_matches.account_id is not null then key_matches.account_id
        when name_candidates.candidate_count = 1 then name_candidates.account_id
    end as account_id,
    case
        when key_matches.account_id is not null then key_matches.source_relation
        when name_candidates.candidate_count = 1 then name_candidates.source_relation
    end as source_relation
from customers
left join key_matches on key_matches.customer_id = customers.customer_id
left join name_candidates on name_candidates.customer_id = customers.customer_id

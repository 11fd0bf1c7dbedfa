{#-
    One row per address per org (source_relation): a person is a duplicate within their org.
    Converted leads are left out: their Contact carries the same person on, so sharing its address is
    expected, not a duplicate.
-#}
with contact_emails as (

    select source_relation, email, 1 as is_contact, 0 as is_lead
    from {{ ref('int_salesforce__contact_versions') }}
    where {{ is_live_version() }} and email is not null

),

unconverted_lead_emails as (

    select source_relation, email, 0 as is_contact, 1 as is_lead
    from {{ ref('int_salesforce__lead_versions') }}
    where {{ is_live_version() }} and email is not null and not is_converted

),

person_emails as (

    select * from contact_emails
    union all
    select * from unconverted_lead_emails

)

select
    email,
    sum(is_contact) as contact_count,
    sum(is_lead) as lead_count,
    count(*) as record_count,
    count(*) > 1 as is_duplicate,
    source_relation
from person_emails
group by source_relation, email

-- A won opportunity is always closed (Salesforce derives both from the canonical stage).
select opportunity_id, stage_name, is_closed, is_won
from {{ ref('int_salesforce__opportunities') }}
where is_won and not is_closed

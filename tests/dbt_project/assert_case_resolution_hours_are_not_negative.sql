-- Cases closed before they were opened are quarantined, so no live case resolves in negative time.
select case_id, created_at, closed_at, resolution_hours
from {{ ref('fct_case_resolution') }}
where resolution_hours < 0

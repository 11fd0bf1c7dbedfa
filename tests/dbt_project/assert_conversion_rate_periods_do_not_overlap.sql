-- A currency's rate periods never overlap and never end before they start: at any date at most one rate applies.
select earlier.iso_code, earlier.valid_from, later.valid_from as overlapping_from
from {{ ref('int_currency__conversion_rates') }} as earlier
inner join {{ ref('int_currency__conversion_rates') }} as later
    on later.iso_code = earlier.iso_code
    and later.valid_from > earlier.valid_from
    and later.valid_from < earlier.valid_to
union all
select iso_code, valid_from, valid_to
from {{ ref('int_currency__conversion_rates') }}
where valid_to <= valid_from

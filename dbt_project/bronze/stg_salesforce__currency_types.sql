{{ stage_salesforce_object(source('salesforce', 'currency_type'), [
    ('id', 'currency_type_id', 'string'),
    ('isocode', 'iso_code', 'string'),
    ('conversionrate', 'conversion_rate', 'number'),
    ('decimalplaces', 'decimal_places', 'integer'),
    ('isactive', 'is_active', 'boolean'),
    ('iscorporate', 'is_corporate', 'boolean'),
    ('createddate', 'created_at', 'timestamp'),
    ('createdbyid', 'created_by_id', 'string'),
    ('lastmodifieddate', 'last_modified_at', 'timestamp'),
    ('lastmodifiedbyid', 'last_modified_by_id', 'string'),
    ('systemmodstamp', 'system_modstamp', 'timestamp'),
]) }}

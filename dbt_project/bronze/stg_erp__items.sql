{{ stage_landed_table(source('erp', 'items'), [
    ('item_id', 'item_id', 'string'),
    ('sku', 'sku_raw', 'string'),
    ('name', 'item_name', 'string'),
    ('family', 'family_raw', 'string'),
    ('unit_of_measure', 'unit_of_measure_raw', 'string'),
    ('list_price', 'list_price', 'number'),
    ('is_active', 'is_active', 'boolean'),
    ('created_at', 'created_at', 'timestamp'),
    ('modified_at', 'modified_at', 'timestamp'),
]) }}

"""Salesforce record ids: 15-char case-sensitive bodies plus the 3-char case checksum, in Python and in SQL.

An id body is ``key prefix (3) + POD (2) + base-62 sequence number (10)``; the 18-char form appends one checksum
character per 5-char chunk, whose 5 bits say which characters of the chunk are upper-case letters. Because of
that checksum, an 18-char id typed in the wrong case can be restored (``normalize_id``).
"""

from __future__ import annotations

import re

CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
BASE62_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
POD = "8d"
SEQUENCE_WIDTH = 10
_ID15 = re.compile(r"[A-Za-z0-9]{15}")
_ID18 = re.compile(r"[A-Za-z0-9]{18}")


def checksum(body15: str) -> str:
    suffix = ""
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(body15[chunk * 5:chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += CHECKSUM_ALPHABET[bits]
    return suffix


def make_id(key_prefix: str, sequence: int) -> str:
    """The 18-char id of the ``sequence``-th record with ``key_prefix``."""
    digits = ""
    for _ in range(SEQUENCE_WIDTH):
        sequence, remainder = divmod(sequence, 62)
        digits = BASE62_DIGITS[remainder] + digits
    body = key_prefix + POD + digits
    return body + checksum(body)


def normalize_id(value: str) -> str | None:
    """The canonical 18-char form of a 15- or 18-char id (18-char ids match case-insensitively), else None."""
    if _ID15.fullmatch(value):
        return value + checksum(value)
    if not _ID18.fullmatch(value):
        return None
    suffix = value[15:].upper()
    restored = ""
    for position, char in enumerate(value[:15]):
        bits = CHECKSUM_ALPHABET.find(suffix[position // 5])
        if bits < 0:
            return None
        restored += char.upper() if bits >> (position % 5) & 1 else char.lower()
    if checksum(restored) != suffix:
        return None
    return restored + suffix


def sql_macros() -> list[str]:
    """DuckDB macros mirroring this module: ``sf_id(prefix, sequence)`` and ``sf_normalize_id(text)``.

    They are written with list lambdas so that each argument appears once or twice in the expanded expression
    (DuckDB inlines macros textually; per-character expressions would multiply the argument many times).
    """
    powers = ", ".join(str(62 ** power) for power in reversed(range(SEQUENCE_WIDTH)))
    return [
        "CREATE OR REPLACE MACRO sf_id_checksum(body) AS array_to_string(list_transform(range(3), lambda chunk: "
        f"substr('{CHECKSUM_ALPHABET}', 1 + CAST(list_sum(list_transform(range(5), lambda i: "
        "CASE WHEN substr(body, chunk * 5 + i + 1, 1) BETWEEN 'A' AND 'Z' THEN 1 << i ELSE 0 END)) AS INTEGER), 1)"
        "), '')",
        "CREATE OR REPLACE MACRO sf_seq_digits(seq) AS "
        f"list_transform([{powers}]::BIGINT[], lambda p: CAST((seq // p) % 62 AS INTEGER))",
        "CREATE OR REPLACE MACRO sf_digit_chunk_char(digits, first) AS "
        f"substr('{CHECKSUM_ALPHABET}', 1 + CAST(list_sum(list_transform(range(5), "
        "lambda j: CASE WHEN digits[first + j + 1] BETWEEN 10 AND 35 THEN 1 << j ELSE 0 END)) AS INTEGER), 1)",
        "CREATE OR REPLACE MACRO sf_id_from_digits(prefix, digits) AS "
        f"prefix || '{POD}' || array_to_string(list_transform(digits, lambda d: substr('{BASE62_DIGITS}', d + 1, 1)), '')"
        f" || substr(sf_id_checksum(prefix || '{POD}' || '0000000000'), 1, 1)"
        " || sf_digit_chunk_char(digits, 0) || sf_digit_chunk_char(digits, 5)",
        "CREATE OR REPLACE MACRO sf_id(prefix, seq) AS sf_id_from_digits(prefix, sf_seq_digits(seq))",
        "CREATE OR REPLACE MACRO sf_restore_id_case(value) AS array_to_string(list_transform(range(15), lambda i: "
        f"CASE WHEN ((instr('{CHECKSUM_ALPHABET}', upper(substr(value, 16 + i // 5, 1))) - 1) >> (i % 5)) & 1 = 1 "
        "THEN upper(substr(value, i + 1, 1)) ELSE lower(substr(value, i + 1, 1)) END), '')",
        "CREATE OR REPLACE MACRO sf_normalize_id_restored(value, restored) AS CASE "
        "WHEN regexp_full_match(value, '[A-Za-z0-9]{15}') THEN value || sf_id_checksum(value) "
        "WHEN regexp_full_match(value, '[A-Za-z0-9]{18}') AND sf_id_checksum(restored) = upper(substr(value, 16, 3)) "
        "THEN restored || upper(substr(value, 16, 3)) ELSE NULL END",
        "CREATE OR REPLACE MACRO sf_normalize_id(value) AS sf_normalize_id_restored(value, sf_restore_id_case(value))",
    ]

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


def _sql_list(values: list) -> str:
    return "[" + ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values) + "]"


def _fast_id_macro() -> str:
    """``sf_id(prefix, seq)``, for sequences below 62^5 (916,132,832: more than an org reaches) computed with plain
    arithmetic, about 20 times faster than the general form, which stays the fallback. Below 62^5 the five high
    digits are ``0`` and the second checksum character is ``A``."""
    head = f"concat(prefix, '{POD}00000'"
    prefix_check = f"substr(sf_id_checksum(prefix || '{POD}00000'), 1, 1), 'A'"

    def digit(position: int) -> str:
        return f"CAST((seq // {62 ** position}) % 62 AS INTEGER)"

    chars = ", ".join(f"substr('{BASE62_DIGITS}', 1 + {digit(p)}, 1)" for p in reversed(range(5)))
    bits = " + ".join(f"{1 << i} * CAST({digit(p)} BETWEEN 10 AND 35 AS INTEGER)"
                      for i, p in enumerate(reversed(range(5))))
    return (
        f"CREATE OR REPLACE MACRO sf_id(prefix, seq) AS CASE WHEN seq >= 0 AND seq < {62 ** 5} "
        f"THEN {head}, {chars}, {prefix_check}, substr('{CHECKSUM_ALPHABET}', 1 + {bits}, 1)) "
        "ELSE sf_id_general(prefix, seq) END"
    )


def sql_macros() -> list[str]:
    """DuckDB macros mirroring this module: ``sf_id(prefix, sequence)`` and ``sf_normalize_id(text)``.

    The general forms (``sf_id_general``, ``sf_normalize_id``) are written with list lambdas so that each argument
    appears once or twice in the expression (DuckDB inlines macros textually; per-character expressions would
    multiply the argument many times); ``sf_id`` computes the ids of sequences below 62^5 with plain arithmetic
    (``_fast_id_macro``) and falls back to ``sf_id_general`` above.
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
        "CREATE OR REPLACE MACRO sf_id_general(prefix, seq) AS sf_id_from_digits(prefix, sf_seq_digits(seq))",
        _fast_id_macro(),
        "CREATE OR REPLACE MACRO sf_restore_id_case(value) AS array_to_string(list_transform(range(15), lambda i: "
        f"CASE WHEN ((instr('{CHECKSUM_ALPHABET}', upper(substr(value, 16 + i // 5, 1))) - 1) >> (i % 5)) & 1 = 1 "
        "THEN upper(substr(value, i + 1, 1)) ELSE lower(substr(value, i + 1, 1)) END), '')",
        "CREATE OR REPLACE MACRO sf_normalize_id_restored(value, restored) AS CASE "
        "WHEN regexp_full_match(value, '[A-Za-z0-9]{15}') THEN value || sf_id_checksum(value) "
        "WHEN regexp_full_match(value, '[A-Za-z0-9]{18}') AND sf_id_checksum(restored) = upper(substr(value, 16, 3)) "
        "THEN restored || upper(substr(value, 16, 3)) ELSE NULL END",
        "CREATE OR REPLACE MACRO sf_normalize_id(value) AS sf_normalize_id_restored(value, sf_restore_id_case(value))",
    ]


def lookup_id_sql() -> list[str]:
    """Statements creating the one-row temp table ``__id_lookup`` (base-62 digit pairs and their checksum bits)
    that ``lookup_id_expr`` reads; run them on the cursor that uses it (temp objects are per connection)."""
    upper = [1 if 10 <= d <= 35 else 0 for d in range(62)]
    pairs = [BASE62_DIGITS[a] + BASE62_DIGITS[b] for a in range(62) for b in range(62)]
    pair_bits = [upper[a] + 2 * upper[b] for a in range(62) for b in range(62)]
    return [
        f"CREATE OR REPLACE TEMP TABLE __id_lookup AS SELECT {_sql_list(pairs)} AS pairs, "
        f"{_sql_list(pair_bits)} AS pair_bits",
    ]


def lookup_id_expr(key_prefix: str, seq: str) -> str:
    """SQL for the id of sequence ``seq`` (a column or expression, 0 <= seq < 62^5) of ``key_prefix``, for
    statements over millions of rows: about 0.15 us per id. The statement adds ``__id_lookup __idl`` (see
    ``lookup_id_sql``) to its FROM: the digit pairs live in a column rather than in the expression, and the
    prefix's characters and checksum bits are folded into literals here, so the statement stays quick to plan."""
    prefix_bits = sum(1 << i for i, char in enumerate(key_prefix) if "A" <= char <= "Z")
    first = f"CAST({seq} // {62 ** 4} AS INTEGER)"
    middle = f"1 + CAST(({seq} // 3844) % 3844 AS INTEGER)"
    last = f"1 + CAST({seq} % 3844 AS INTEGER)"
    return (
        f"concat('{key_prefix}{POD}00000', substr('{BASE62_DIGITS}', 1 + {first}, 1), __idl.pairs[{middle}], "
        f"__idl.pairs[{last}], '{CHECKSUM_ALPHABET[prefix_bits]}A', substr('{CHECKSUM_ALPHABET}', 1 + "
        f"CAST({first} BETWEEN 10 AND 35 AS INTEGER) + 2 * __idl.pair_bits[{middle}] + "
        f"8 * __idl.pair_bits[{last}], 1))"
    )

"""SOQL text to a syntax tree: a tokenizer and a recursive-descent parser for the subset the org serves.

Supported: ``SELECT`` field paths (``Name``, ``Account.Owner.Email``) or ``COUNT()``, ``FROM`` object, ``WHERE``
with comparisons, ``LIKE``, ``[NOT] IN``, ``AND``/``OR``/``NOT`` and parentheses, literals (strings with escapes,
numbers, ``true``/``false``/``null``, dates, datetimes with ``Z``/offsets/fractions, relative date literals such
as ``TODAY`` or ``LAST_N_DAYS:7``), ``ORDER BY``, ``LIMIT`` and ``OFFSET``. Like Salesforce, ``AND`` and ``OR``
cannot be mixed at one level without parentheses. Errors are ``MALFORMED_QUERY``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import malformed_query

KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC", "NULLS", "FIRST",
    "LAST", "LIMIT", "OFFSET", "NULL", "TRUE", "FALSE", "COUNT", "GROUP", "HAVING",
}
COMPARISON_OPERATORS = ("=", "!=", "<>", "<=", ">=", "<", ">")
RELATIVE_DATE_LITERALS = {
    "YESTERDAY", "TODAY", "TOMORROW", "LAST_WEEK", "THIS_WEEK", "NEXT_WEEK", "LAST_MONTH", "THIS_MONTH",
    "NEXT_MONTH", "LAST_90_DAYS", "NEXT_90_DAYS", "THIS_YEAR", "LAST_YEAR", "NEXT_YEAR",
}
RELATIVE_DATE_LITERALS_WITH_N = {
    "LAST_N_DAYS", "NEXT_N_DAYS", "LAST_N_WEEKS", "NEXT_N_WEEKS", "LAST_N_MONTHS", "NEXT_N_MONTHS", "LAST_N_YEARS",
    "NEXT_N_YEARS", "N_DAYS_AGO",
}
_STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}

_TOKEN_PATTERN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\dT:])
  | (?P<number>[+-]?\d+(?:\.\d+)?|[+-]?\.\d+)
  | (?P<string>')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),:])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # datetime, date, number, string, name, op, punct, end
    text: str
    value: object
    position: int


@dataclass(frozen=True)
class FieldPath:
    text: str  # as written in the query

    @property
    def parts(self) -> list[str]:
        return self.text.split(".")


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, boolean, null, date, datetime, relative_date
    value: object  # str, int/float, bool, None, date, aware datetime, (name, n)
    like_pattern: str | None = None  # strings only: the text with SOQL's \% and \_ kept escaped


@dataclass(frozen=True)
class Comparison:
    path: FieldPath
    operator: str  # =, !=, <, <=, >, >=, LIKE, IN, NOT IN
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class Logical:
    operator: str  # AND, OR
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Negation:
    operand: Condition


Condition = Comparison | Logical | Negation


@dataclass(frozen=True)
class OrderItem:
    path: FieldPath
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class SoqlQuery:
    fields: tuple[FieldPath, ...]  # empty for COUNT()
    count_only: bool
    object_name: str
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN_PATTERN.match(text, position)
        if not match:
            raise _error(text, position, f"unexpected token: '{text[position]}'")
        kind = match.lastgroup
        if kind == "string":
            value, like_pattern, position = _read_string(text, position)
            tokens.append(Token("string", text[match.start():position], (value, like_pattern), match.start()))
            continue
        token_text = match.group()
        position = match.end()
        if kind == "ws":
            continue
        tokens.append(Token(kind, token_text, _token_value(kind, token_text, text, match.start()), match.start()))
    tokens.append(Token("end", "", None, len(text)))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, str, int]:
    value, like, position = [], [], start + 1
    while position < len(text):
        char = text[position]
        if char == "'":
            return "".join(value), "".join(like), position + 1
        if char == "\\":
            if position + 1 >= len(text):
                break
            escaped = text[position + 1]
            if escaped in _STRING_ESCAPES:
                value.append(_STRING_ESCAPES[escaped])
                like.append("\\\\" if escaped == "\\" else _STRING_ESCAPES[escaped])
            elif escaped in "%_":
                value.append("\\" + escaped)
                like.append("\\" + escaped)
            else:
                raise _error(text, position, f"Invalid string literal '{text[start:position + 2]}'. Illegal "
                                            f"character sequence '\\{escaped}' in string literal.")
            position += 2
            continue
        value.append(char)
        like.append(char)
        position += 1
    raise _error(text, start, "unexpected token: unterminated string literal")


def _token_value(kind: str, token_text: str, text: str, position: int) -> object:
    if kind == "number":
        return float(token_text) if "." in token_text else int(token_text)
    if kind == "date":
        try:
            return dt.date.fromisoformat(token_text)
        except ValueError:
            raise _error(text, position, f"line 1:{position} no viable alternative at character '{token_text}'")
    if kind == "datetime":
        normalized = token_text.replace("Z", "+00:00")
        if re.search(r"[+-]\d{4}$", normalized):
            normalized = normalized[:-2] + ":" + normalized[-2:]
        try:
            return dt.datetime.fromisoformat(normalized)
        except ValueError:
            raise _error(text, position, f"line 1:{position} no viable alternative at character '{token_text}'")
    return None


def _error(text: str, position: int, message: str):
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return malformed_query(f"\n{text}\n{' ' * (column - 1)}^\nERROR at Row:{line}:Column:{column}\n{message}")


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def is_keyword(self, *words: str) -> bool:
        token = self.current
        return token.kind == "name" and token.text.upper() in words

    def expect_keyword(self, word: str) -> None:
        if not self.is_keyword(word):
            raise self.unexpected()
        self.advance()

    def expect_punct(self, char: str) -> None:
        if not (self.current.kind == "punct" and self.current.text == char):
            raise self.unexpected()
        self.advance()

    def unexpected(self):
        token = self.current
        if token.kind == "end":
            return _error(self.text, token.position, "unexpected token: <EOF>")
        return _error(self.text, token.position, f"unexpected token: '{token.text}'")

    def parse(self) -> SoqlQuery:
        self.expect_keyword("SELECT")
        fields, count_only = self.parse_select_list()
        self.expect_keyword("FROM")
        if self.current.kind != "name" or "." in self.current.text:
            raise self.unexpected()
        object_name = self.advance().text
        where = None
        if self.is_keyword("WHERE"):
            self.advance()
            where = self.parse_condition()
        order_by: tuple[OrderItem, ...] = ()
        if self.is_keyword("ORDER"):
            self.advance()
            self.expect_keyword("BY")
            order_by = self.parse_order_list()
        limit = self.parse_count_clause("LIMIT")
        offset = self.parse_count_clause("OFFSET")
        if self.current.kind != "end":
            raise self.unexpected()
        return SoqlQuery(fields, count_only, object_name, where, order_by, limit, offset)

    def parse_select_list(self) -> tuple[tuple[FieldPath, ...], bool]:
        if self.is_keyword("COUNT") and self.tokens[self.index + 1].text == "(":
            self.advance()
            self.expect_punct("(")
            self.expect_punct(")")
            return (), True
        fields = [self.parse_path()]
        while self.current.kind == "punct" and self.current.text == ",":
            self.advance()
            fields.append(self.parse_path())
        return tuple(fields), False

    def parse_path(self) -> FieldPath:
        token = self.current
        if token.kind != "name" or (token.text.upper() in KEYWORDS and "." not in token.text):
            raise self.unexpected()
        self.advance()
        return FieldPath(token.text)

    def parse_condition(self) -> Condition:
        first = self.parse_unary()
        operator = None
        operands = [first]
        while self.is_keyword("AND", "OR"):
            word = self.current.text.upper()
            if operator is not None and word != operator:
                raise self.unexpected()
            operator = word
            self.advance()
            operands.append(self.parse_unary())
        return first if operator is None else Logical(operator, tuple(operands))

    def parse_unary(self) -> Condition:
        if self.is_keyword("NOT"):
            self.advance()
            return Negation(self.parse_unary())
        if self.current.kind == "punct" and self.current.text == "(":
            self.advance()
            condition = self.parse_condition()
            self.expect_punct(")")
            return condition
        return self.parse_comparison()

    def parse_comparison(self) -> Comparison:
        path = self.parse_path()
        if self.current.kind == "op":
            operator = self.advance().text
            return Comparison(path, "!=" if operator == "<>" else operator, self.parse_literal())
        if self.is_keyword("LIKE"):
            self.advance()
            return Comparison(path, "LIKE", self.parse_literal())
        negated = False
        if self.is_keyword("NOT"):
            self.advance()
            negated = True
        if self.is_keyword("IN"):
            self.advance()
            self.expect_punct("(")
            if self.is_keyword("SELECT"):
                raise _error(self.text, self.current.position, "Semi-join sub-selects are not supported by this org")
            values = [self.parse_literal()]
            while self.current.kind == "punct" and self.current.text == ",":
                self.advance()
                values.append(self.parse_literal())
            self.expect_punct(")")
            return Comparison(path, "NOT IN" if negated else "IN", tuple(values))
        raise self.unexpected()

    def parse_literal(self) -> Literal:
        token = self.current
        if token.kind == "string":
            self.advance()
            value, like_pattern = token.value
            return Literal("string", value, like_pattern)
        if token.kind == "number":
            self.advance()
            return Literal("number", token.value)
        if token.kind in ("date", "datetime"):
            self.advance()
            return Literal(token.kind, token.value)
        if token.kind == "name":
            word = token.text.upper()
            if word in ("TRUE", "FALSE"):
                self.advance()
                return Literal("boolean", word == "TRUE")
            if word == "NULL":
                self.advance()
                return Literal("null", None)
            if word in RELATIVE_DATE_LITERALS:
                self.advance()
                return Literal("relative_date", (word, 1))
            if word in RELATIVE_DATE_LITERALS_WITH_N:
                self.advance()
                self.expect_punct(":")
                amount = self.current
                if amount.kind != "number" or not isinstance(amount.value, int):
                    raise self.unexpected()
                self.advance()
                return Literal("relative_date", (word, amount.value))
        raise self.unexpected()

    def parse_order_list(self) -> tuple[OrderItem, ...]:
        items = [self.parse_order_item()]
        while self.current.kind == "punct" and self.current.text == ",":
            self.advance()
            items.append(self.parse_order_item())
        return tuple(items)

    def parse_order_item(self) -> OrderItem:
        path = self.parse_path()
        descending = False
        if self.is_keyword("ASC", "DESC"):
            descending = self.advance().text.upper() == "DESC"
        nulls_last = descending
        if self.is_keyword("NULLS"):
            self.advance()
            if not self.is_keyword("FIRST", "LAST"):
                raise self.unexpected()
            nulls_last = self.advance().text.upper() == "LAST"
        return OrderItem(path, descending, nulls_last)

    def parse_count_clause(self, keyword: str) -> int | None:
        if not self.is_keyword(keyword):
            return None
        self.advance()
        token = self.current
        if token.kind != "number" or not isinstance(token.value, int) or token.value < 0:
            raise self.unexpected()
        self.advance()
        return token.value


def parse(text: str) -> SoqlQuery:
    return _Parser(text).parse()

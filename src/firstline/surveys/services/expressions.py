"""A small, safe evaluator of the XLSForm expressions pyxform passes through: skip
logic (`relevant`), validation (`constraint`) and simple computed values
(`calculation`). Never `eval`: the text is tokenised and parsed into a tree of
tuples, and only the operators and functions below exist.

    ${q} = 'yes'          ${n} > 3 and ${n} <= 10      selected(${m}, 'x')
    not(${a} = 'no')      count-selected(${m}) >= 2    string-length(.) < 50
    ${a} * 2 + 1          ${a} div ${b}                ${a} != '' or true()

Values follow XPath: an unanswered question is '' (a number compared with it is
false), `=` compares numbers when either side is a number, `<`/`>` always compare
numbers. `.` is the value being checked (constraints).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal

TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{[A-Za-z_][A-Za-z0-9_.\-]*\})
      | (?P<num>\d+(?:\.\d+)?)
      | (?P<str>'[^']*'|"[^"]*")
      | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)
      | (?P<name>[A-Za-z][A-Za-z0-9\-]*(?=\s*\()|and\b|or\b|div\b|mod\b)
      | (?P<dot>\.(?![0-9]))
    )""",
    re.VERBOSE,
)

FUNCTIONS = {
    "selected": 2,
    "not": 1,
    "count-selected": 1,
    "string-length": 1,
    "number": 1,
    "int": 1,
    "true": 0,
    "false": 0,
    "round": 2,
}

# Binding power of the binary operators, lowest first.
BINARY = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "div": 6,
    "mod": 6,
}


class ExpressionError(ValueError):
    """The expression is not in the supported subset; the message says why."""


def tokenise(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"无法识别的表达式片段：{text[pos : pos + 20]!r}")
        kind = match.lastgroup
        value = match.group(kind).strip()
        out.append((kind, value))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ExpressionError("表达式不完整")
        self.i += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token[1] != value:
            raise ExpressionError(f"此处应为 {value!r}，实为 {token[1]!r}")

    def parse(self, power: int = 0):
        left = self.atom()
        while (token := self.peek()) is not None and token[1] in BINARY:
            op = token[1]
            if BINARY[op] <= power:
                break
            self.take()
            left = ("bin", op, left, self.parse(BINARY[op]))
        return left

    def atom(self):
        kind, value = self.take()
        if kind == "ref":
            return ("ref", value[2:-1])
        if kind == "num":
            return ("lit", Decimal(value))
        if kind == "str":
            return ("lit", value[1:-1])
        if kind == "dot":
            return ("dot",)
        if value == "-":
            return ("bin", "-", ("lit", Decimal(0)), self.atom())
        if value == "(":
            inner = self.parse()
            self.expect(")")
            return inner
        if kind == "name" and value in FUNCTIONS:
            self.expect("(")
            args = []
            if self.peek() and self.peek()[1] != ")":
                args.append(self.parse())
                while self.peek() and self.peek()[1] == ",":
                    self.take()
                    args.append(self.parse())
            self.expect(")")
            if len(args) != FUNCTIONS[value]:
                raise ExpressionError(f"函数 {value}() 需要 {FUNCTIONS[value]} 个参数")
            return ("call", value, tuple(args))
        if kind == "name":
            raise ExpressionError(f"不支持的函数：{value}()")
        raise ExpressionError(f"此处不应出现 {value!r}")


def parse(text: str):
    """The expression's tree; ExpressionError when it is outside the subset."""
    parser = _Parser(tokenise(text))
    tree = parser.parse()
    if parser.peek() is not None:
        raise ExpressionError(f"多余的内容：{parser.peek()[1]!r}")
    return tree


def references(tree) -> set[str]:
    """The question names an expression reads."""
    if tree[0] == "ref":
        return {tree[1]}
    if tree[0] == "bin":
        return references(tree[2]) | references(tree[3])
    if tree[0] == "call":
        out: set[str] = set()
        for arg in tree[2]:
            out |= references(arg)
        return out
    return set()


def _number(value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    if isinstance(value, list):
        return math.nan
    try:
        return float(str(value).strip()) if str(value).strip() else math.nan
    except ValueError:
        return math.nan


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, (float, Decimal)) and float(value) == int(value):
        return str(int(value))
    return str(value)


def _truth(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return bool(value) and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, list):
        return bool(value)
    return value not in (None, "")


def _compare(op: str, a, b) -> bool:
    numeric = op in ("<", "<=", ">", ">=") or any(
        isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in (a, b)
    )
    if numeric:
        x, y = _number(a), _number(b)
        if math.isnan(x) or math.isnan(y):
            return op == "!="
    else:
        x, y = _text(a), _text(b)
    return {
        "=": x == y,
        "!=": x != y,
        "<": x < y,
        "<=": x <= y,
        ">": x > y,
        ">=": x >= y,
    }[op]


def evaluate(tree, values: Mapping, current=None):
    """The expression's value over `values` (answers by question name; a missing one
    is ''), `current` standing for `.`."""
    kind = tree[0]
    if kind == "lit":
        return tree[1]
    if kind == "ref":
        value = values.get(tree[1])
        return "" if value is None else value
    if kind == "dot":
        return "" if current is None else current
    if kind == "call":
        name, args = tree[1], tree[2]
        if name == "true":
            return True
        if name == "false":
            return False
        if name == "not":
            return not _truth(evaluate(args[0], values, current))
        if name == "selected":
            held = evaluate(args[0], values, current)
            wanted = _text(evaluate(args[1], values, current))
            items = held if isinstance(held, list) else _text(held).split()
            return wanted in [str(item) for item in items]
        if name == "count-selected":
            held = evaluate(args[0], values, current)
            return len(held) if isinstance(held, list) else len(_text(held).split())
        if name == "string-length":
            return len(_text(evaluate(args[0], values, current)))
        if name in ("number", "int"):
            number = _number(evaluate(args[0], values, current))
            return number if name == "number" or math.isnan(number) else float(int(number))
        if name == "round":
            number = _number(evaluate(args[0], values, current))
            digits = int(_number(evaluate(args[1], values, current)) or 0)
            return number if math.isnan(number) else round(number, digits)
    if kind == "bin":
        op, left, right = tree[1], tree[2], tree[3]
        if op == "and":
            return _truth(evaluate(left, values, current)) and _truth(
                evaluate(right, values, current)
            )
        if op == "or":
            return _truth(evaluate(left, values, current)) or _truth(
                evaluate(right, values, current)
            )
        a, b = evaluate(left, values, current), evaluate(right, values, current)
        if op in ("=", "!=", "<", "<=", ">", ">="):
            return _compare(op, a, b)
        x, y = _number(a), _number(b)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "div":
            return x / y if y else math.nan
        if op == "mod":
            return math.fmod(x, y) if y else math.nan
    raise ExpressionError(f"unknown node {kind}")


def truth(text: str, values: Mapping, current=None) -> bool:
    """Whether the expression holds; an empty expression always does."""
    if not text.strip():
        return True
    return _truth(evaluate(parse(text), values, current))

"""Parser-ish part of the demo workload: a tokenizer and a recursive-descent
evaluator for expressions like "3 + 4 * (2 - 1)".  Hot: next_token,
parse_factor; warm: parse_term, parse_expr; cold: evaluate, make_expression."""

DIGITS = "0123456789"
OPS = "+-*/()"


def next_token(text, pos):
    while pos < len(text) and text[pos] == " ":
        pos += 1
    if pos >= len(text):
        return None, pos
    if text[pos] in OPS:
        return text[pos], pos + 1
    end = pos
    while end < len(text) and text[end] in DIGITS:
        end += 1
    return int(text[pos:end]), end


def tokenize(text):
    tokens = []
    pos = 0
    while True:
        tok, pos = next_token(text, pos)
        if tok is None:
            return tokens
        tokens.append(tok)


def parse_factor(tokens, i):
    tok = tokens[i]
    if tok == "(":
        value, i = parse_expr(tokens, i + 1)
        return value, i + 1
    if tok == "-":
        value, i = parse_factor(tokens, i + 1)
        return -value, i
    return tok, i + 1


def parse_term(tokens, i):
    value, i = parse_factor(tokens, i)
    while i < len(tokens) and tokens[i] in ("*", "/"):
        op = tokens[i]
        rhs, i = parse_factor(tokens, i + 1)
        value = value * rhs if op == "*" else value // (rhs or 1)
    return value, i


def parse_expr(tokens, i):
    value, i = parse_term(tokens, i)
    while i < len(tokens) and tokens[i] in ("+", "-"):
        op = tokens[i]
        rhs, i = parse_term(tokens, i + 1)
        value = value + rhs if op == "+" else value - rhs
    return value, i


def evaluate(text):
    value, _ = parse_expr(tokenize(text), 0)
    return value


def make_expression(seed):
    parts = []
    for k in range(3 + seed % 4):
        if k:
            parts.append("+-*"[(seed + k) % 3])
        n = (seed * 7 + k * 13) % 50
        parts.append("(%d - %d)" % (n, k) if (seed + k) % 5 == 0 else str(n))
    return " ".join(parts)

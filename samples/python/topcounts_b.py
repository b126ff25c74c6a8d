"""More functions for topcounts.py; helper() has the name of
topcounts_a.helper, at another line of another file."""


def delta(x):
    return x // 2


def epsilon(x):
    return x % 3


# A few lines further down than topcounts_a.helper, on purpose.


def helper(x):
    return x + 100

"""Functions for topcounts.py to call; their counts are in topcounts.py."""


def alpha(x):
    return x + 1


def beta(x):
    return x * 2


def helper(x):
    return x - 1


def gamma(x):
    return -x

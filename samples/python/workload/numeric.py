"""Math-ish part of the demo workload.  Hot: gcd (iterative, called a lot);
warm: is_prime, collatz_steps; cold: mean, variance, summarize."""


def gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def is_prime(n):
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True


def collatz_steps(n):
    steps = 0
    while n != 1 and steps < 200:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def mean(values):
    return sum(values) / len(values) if values else 0.0


def variance(values):
    m = mean(values)
    return mean([(v - m) ** 2 for v in values])


def summarize(values):
    return {"mean": mean(values), "variance": variance(values)}

"""A small module to try Endless on: put the cursor at the end of a line and wait for ghost text."""


def mean(values):
    if not values:
        raise ValueError("mean of no values")
    return sum(values) / len(values)


def variance(values):
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / len(values)


def running_total(values):
    total = 0
    result = []
    for v in values:
        total += v
        result.append(total)
    return result

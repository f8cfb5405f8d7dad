"""Synthetic block lists of realistic names for memory and load measurements: `n` distinct
names of 6-15 random letters and digits, a serial number and one of five TLDs (20.8 bytes on
average, like docs/BENCHMARKS.md's 1 M-name lists). Deterministic for a seed."""
import random

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
TLDS = ("com", "net", "org", "info", "test")


def write_names(path, n, seed=11):
    """Writes n names, one a line, to path; returns a few of them (to query)."""
    rng = random.Random(seed)
    sample = []
    with open(path, "w") as f:
        chunk = []
        for i in range(n):
            label = "".join(rng.choices(ALPHABET, k=rng.randrange(6, 16)))
            name = f"{label}{i}.{TLDS[i % len(TLDS)]}"
            chunk.append(name)
            if i % (n // 4 or 1) == 7:
                sample.append(name)
            if len(chunk) == 10000:
                f.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            f.write("\n".join(chunk) + "\n")
    return sample


if __name__ == "__main__":
    import sys
    write_names(sys.argv[1], int(sys.argv[2]))

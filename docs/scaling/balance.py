"""How evenly Kafka's default partitioner spreads datasets over trainer replicas (docs/scaling.md).

Each dataset's batches go to partition murmur2(dataset) mod P, which for distinct names behaves like a uniform
random draw; the range assignor gives each of R replicas a contiguous block of P/R partitions. Prints, per
(datasets, partitions, replicas), the busiest replica's jobs over the mean, averaged over 200 draws.
Run: python3 docs/scaling/balance.py
"""
import random, statistics
random.seed(1)
print("| datasets | partitions | replicas | mean jobs per replica | busiest replica (mean of 200 draws) | busiest / mean |")
print("| ---: | ---: | ---: | ---: | ---: | ---: |")
for d in (10, 100, 1000):
    for p, r in ((3, 3), (12, 3), (48, 12)):
        busiest = []
        for _ in range(200):
            parts = [0]*p
            for _ in range(d): parts[random.randrange(p)] += 1
            reps = [0]*r
            # range assignor: contiguous blocks of p/r partitions per replica
            per = p // r
            for i in range(p): reps[min(i // per, r-1)] += parts[i]
            busiest.append(max(reps))
        m = d / r
        print(f"| {d} | {p} | {r} | {m:.1f} | {statistics.mean(busiest):.1f} | {statistics.mean(busiest)/m:.2f} |")

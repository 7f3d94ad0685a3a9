"""On-demand benchmarks (``make bench``); figures go to bench/results/*.json."""

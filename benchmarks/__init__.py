"""Side-by-side benchmarks of the provider (see RESULTS.md); run them with ``make bench``."""

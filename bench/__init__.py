"""Benchmarks against the floor of Cadreflow's own stack (``make bench``; see README, "Performance")."""

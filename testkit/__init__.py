"""Helpers the tests and the benchmarks (bench/) share: the real dbt CLI against a warehouse, and an emulated
portal loaded straight into ``raw``. Development only: not part of the product's package."""

"""Allocator: allocate scarce products to clients by tier."""

__version__ = "0.1.0"

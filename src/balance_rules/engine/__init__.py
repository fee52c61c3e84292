"""Compiling a standard into a plan and evaluating counties with it."""

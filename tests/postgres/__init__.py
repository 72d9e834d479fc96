"""Tests that need a PostgreSQL server, and the throwaway server they run against."""

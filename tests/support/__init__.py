"""Helpers the tests share: throwaway databases and API clients."""
